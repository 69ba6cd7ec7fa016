import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs `work` in one PostgreSQL transaction, on a fork of `em` bound to it (committed when `work`
 * resolves, rolled back when it throws).
 *
 * The broker's writes go through here, never through `em.transactional()` or `em.flush()`: those
 * run MikroORM's AsyncLocalStorage (its transaction context, the unit of work's "inside flush"),
 * and on Node 20 the first `run()` of any AsyncLocalStorage turns promise hooks on for the rest of
 * the process. Every promise of every post, poll and ack then pays for them: 10 % of a post's CPU
 * (`pnpm bench --only floor`, the broker with and without). So `work` writes with `insert`,
 * `nativeUpdate`, `nativeDelete` and `execute`; reads (`find`, `findOne`, locks) are as usual.
 */
export async function inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.getConnection().transactional(async (trx) => {
    const tx = em.fork({ clear: true });
    tx.setTransactionContext(trx);
    return work(tx);
  });
}
