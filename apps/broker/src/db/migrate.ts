/** Placeholder: runs pending migrations against databaseUrl. */
export async function migrate(_databaseUrl: string): Promise<void> {}
