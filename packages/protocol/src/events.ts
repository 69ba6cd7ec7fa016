import { Type, type Static } from 'typebox';
import { BuildCluster } from './clusters.js';
import { BUILD_STATES } from './builds.js';
import { QueueStats } from './queue.js';

/** Messages on the /v4/events WebSocket (server → client, JSON text frames). */
export const ClusterEvent = Type.Object({
  type: Type.Literal('cluster'),
  action: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('deleted')]),
  name: Type.String(),
  cluster: Type.Union([BuildCluster, Type.Null()]),
  at: Type.String({ format: 'date-time' }),
});
export const BuildEvent = Type.Object({
  type: Type.Literal('build'),
  buildId: Type.Integer(),
  state: Type.Enum(BUILD_STATES),
  cluster: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Optional(Type.String()),
  at: Type.String({ format: 'date-time' }),
});
export const StatsEvent = Type.Object({
  type: Type.Literal('stats'),
  queues: Type.Array(QueueStats),
  pending: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
});
export const BrokerEvent = Type.Union([ClusterEvent, BuildEvent, StatsEvent]);
export type ClusterEvent = Static<typeof ClusterEvent>;
export type BuildEvent = Static<typeof BuildEvent>;
export type StatsEvent = Static<typeof StatsEvent>;
export type BrokerEvent = Static<typeof BrokerEvent>;
