import { p } from '@mikro-orm/core';

/** Columns several tables declare alike. */

/** A timestamp PostgreSQL fills in when the row is inserted (`timestamptz not null default now()`). */
export const insertedAt = () => p.datetime().defaultRaw('now()');

/** `createdAt` and `updatedAt`, both now() on insert; the code moves `updatedAt` when it changes the row. */
export const timestamps = () => ({ createdAt: insertedAt(), updatedAt: insertedAt() });
