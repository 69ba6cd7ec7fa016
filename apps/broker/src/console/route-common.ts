import { ErrorBody } from '@buildcluster/protocol';

/** What the console's routes share: their error answers, security scheme, and who made a change. */
export const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody };
export const security = [{ apiToken: [] }];
export const username = (request: { apiUser?: { username: string } }) => request.apiUser?.username ?? 'unknown';
