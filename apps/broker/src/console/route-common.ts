import { ErrorBody } from '@buildcluster/protocol';
import { apiErrors } from '../routes/route-kit.js';

export { apiSecurity as security, username } from '../routes/route-kit.js';

/** The console's error answers: those of every API-token route, and 404 (no such cluster, build or registration). */
export const errors = { ...apiErrors, 404: ErrorBody };
