import fp from 'fastify-plugin';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@buildcluster/protocol';

/** What the broker's route plugins share: how they are declared, their guards, security schemes and error answers. */

/** The Fastify instance a route plugin registers on: requests and replies are typed by their TypeBox schemas. */
export type RouteApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface RoutePluginMeta {
  /** The plugin's name, for other plugins' `dependencies`. */
  name: string;
  /** The plugins (by name) whose decorators these routes use. */
  dependencies: string[];
}

/** A Fastify plugin (not encapsulated, like every broker plugin) that declares routes on the TypeBox-typed instance. */
export function routePlugin(declare: (app: RouteApp) => void | Promise<void>, meta: RoutePluginMeta) {
  return fp(async (root: FastifyInstance) => {
    await declare(root.withTypeProvider<TypeBoxTypeProvider>());
  }, meta);
}

/** The API-token guards most routes use: `admin` for changes, `reader` (admins and viewers, who change nothing) for reads. */
export function apiGuards(app: FastifyInstance) {
  return { admin: app.requireApiScope('admin'), reader: app.requireApiScope('admin', 'viewer') };
}

/** OpenAPI security of the routes called with an API token. */
export const apiSecurity = [{ apiToken: [] }];
/** OpenAPI security of the worker protocol's routes, called with the cluster's own token. */
export const clusterSecurity = [{ clusterToken: [] }];

/** The error answers any authenticated route may give (bad request, no or wrong token, Redis or PostgreSQL away). */
export const apiErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

/** Who made a change, for the audit log. */
export const username = (request: { apiUser?: { username: string } }) => request.apiUser?.username ?? 'unknown';
