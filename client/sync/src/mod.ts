/**
 * @parley/sync: Parley's offline-first sync engine for Insight's apps (Node, Deno, browsers).
 * See README.md.
 */
export { SyncEngine } from "./engine.ts";
export type { SyncEngineOptions, SyncOutcome, SyncReason, SyncState, SyncStatus, SyncTrigger } from "./engine.ts";
export { changesOf } from "./engine.ts";
export { backoffDelay, realClock } from "./clock.ts";
export type { BackoffOptions, Clock } from "./clock.ts";
export { PARLEY_SCHEMA, remapRefs, tablesOf } from "./schema.ts";
export type { SyncSchema, TableSchema } from "./schema.ts";
export { asSyncError, classify, supabaseTransport, SyncError } from "./transport.ts";
export type { RpcClient, SyncErrorKind } from "./transport.ts";
export { MemoryAdapter } from "./memory.ts";
export { browserTriggers, realtimeTrigger } from "./triggers.ts";
export type { RealtimeChannelLike, RealtimeClient } from "./triggers.ts";
export type * from "./types.ts";
