import { STATUS_CODES } from 'node:http';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '@buildcluster/protocol';
import { BrokerError, Errors } from '../../errors.js';
import { databaseUnavailable } from '../external/orm.js';
import { redisUnavailable } from '../external/redis.js';

/** Fastify's own 4xx (an unsupported media type, an empty JSON body): answered with its code and message. */
function fastifyClientError(err: FastifyError): ErrorBody | null {
  const status = err.statusCode;
  if (!status || status < 400 || status >= 500) return null;
  return {
    statusCode: status,
    code: err.code ?? 'BAD_REQUEST',
    error: STATUS_CODES[status] ?? 'Bad Request',
    message: err.message,
  };
}

function answer(error: BrokerError): ErrorBody {
  return {
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode] ?? 'Internal Server Error',
    message: error.publicMessage,
  };
}

/**
 * The one error handler: every thrown error becomes `{statusCode, code, error, message}` from the
 * catalogue (errors.ts). Schema failures name the part and field; a lost Redis or PostgreSQL is
 * 503 (the adapters tell, from their drivers' typed errors); anything else is 500. A 5xx is logged
 * with the request's context and answers only its entry's fixed sentence, never a message or stack.
 */
export default fp(
  async (app) => {
    const toBrokerError = (err: FastifyError | Error, request: FastifyRequest): BrokerError | ErrorBody => {
      if (err instanceof BrokerError) return err;
      const fe = err as FastifyError;
      if (fe.validation) {
        // An enum error also names the values allowed; an unknown field is named.
        const params = fe.validation[0]?.params as { allowedValues?: unknown[]; additionalProperty?: string } | undefined;
        const allowed = params?.allowedValues;
        const problem = params?.additionalProperty ? `${fe.message}: "${params.additionalProperty}"` : fe.message;
        return new Errors.ValidationFailed({ problem, allowed: Array.isArray(allowed) ? allowed : undefined });
      }
      if (fe.statusCode === 413 || fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return new Errors.PayloadTooLarge({ limit: request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 0 });
      }
      return (
        fastifyClientError(fe) ??
        databaseUnavailable(err) ??
        redisUnavailable(err, app.redis) ??
        new Errors.Internal({ cause: err.message })
      );
    };

    app.setErrorHandler((err: FastifyError | Error, request, reply: FastifyReply) => {
      const error = toBrokerError(err, request);
      const body = error instanceof BrokerError ? answer(error) : error;
      if (error instanceof Errors.Unavailable) {
        request.log.warn({ err: error.message, route: request.routeOptions.url }, 'a backing service is unavailable');
      } else if (error instanceof BrokerError && error.statusCode < 500) {
        request.log.debug({ code: error.code, details: error.details, route: request.routeOptions.url }, error.message);
      } else if (error instanceof BrokerError && error.statusCode >= 500) {
        const what = error instanceof Errors.Internal ? 'unhandled error' : error.message;
        request.log.error({ err, route: request.routeOptions.url, code: error.code, details: error.details }, what);
      }
      return reply.code(body.statusCode).send(body);
    });

    app.setNotFoundHandler((request, reply) => {
      const error = new Errors.RouteNotFound({ method: request.method, path: request.url.split('?')[0] ?? '/' });
      return reply.code(error.statusCode).send(answer(error));
    });
  },
  { name: 'error-handler', dependencies: ['redis', 'orm'] },
);
