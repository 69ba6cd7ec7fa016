import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The key store (README "API", the /v4/buildClusters routes): public keys and signOptions under their content-addressed file names,
 * in PostgreSQL so that every replica sees them. Files are immutable: a name always means the
 * same content, so writing one that exists is a no-op.
 */
export async function putKeyFiles(em: EntityManager, files: Array<{ name: string; content: string }>): Promise<void> {
  if (files.length === 0) return;
  const values = files.map(() => '(?, ?)').join(', ');
  await em.execute(
    `insert into "keyFiles" ("name", "content") values ${values} on conflict ("name") do nothing`,
    files.flatMap((f) => [f.name, f.content]),
  );
}

/** Deletes those of `names` that no cluster and no running rotation refers to any more. */
export async function dropUnusedKeyFiles(em: EntityManager, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await em.execute(
    `delete from "keyFiles" k where k."name" in (${names.map(() => '?').join(', ')})
       and not exists (select 1 from "buildClusters" c where c."authKeyFileName" = k."name" or c."signOptionFileName" = k."name")
       and not exists (select 1 from "clusterKeyRotations" r
                        where r."previousAuthKeyFileName" = k."name" or r."previousSignOptionFileName" = k."name")`,
    names,
  );
}
