/**
 * The tables Parley syncs, in the order the server applies them, and which fields of a row name
 * rows of another table (the engine rewrites them when the server maps a client's id to its own,
 * e.g. two devices' "Running" tag becoming one entity).
 */
import type { Row } from "./types.ts";

export interface TableSchema {
  /** field → the table whose ids it holds (a uuid, or an array of uuids). */
  refs: Record<string, string>;
}

export type SyncSchema = Record<string, TableSchema>;

export const PARLEY_SCHEMA: SyncSchema = {
  entities: { refs: { merged_into_id: "entities" } },
  goals: { refs: { parent_id: "goals" } },
  projects: { refs: {} },
  habit_definitions: { refs: {} },
  tracker_definitions: { refs: {} },
  entries: { refs: { entity_ids: "entities", goal_ids: "goals", project_ids: "projects" } },
  habit_instances: { refs: { habit_id: "habit_definitions" } },
  tracker_logs: { refs: { tracker_id: "tracker_definitions" } },
  workouts: { refs: { entry_id: "entries" } },
  meals: { refs: { entry_id: "entries" } },
  saved_views: { refs: {} },
};

/** The tables of a schema, in its order. */
export function tablesOf(schema: SyncSchema): string[] {
  return Object.keys(schema);
}

/** A row with every reference to `from` (in `table`) replaced by `to`; the same object when none. */
export function remapRefs(
  schema: SyncSchema,
  rowTable: string,
  row: Row,
  table: string,
  from: string,
  to: string,
): Row {
  let changed: Row | null = null;
  for (const [field, target] of Object.entries(schema[rowTable]?.refs ?? {})) {
    if (target !== table) continue;
    const value = row[field];
    if (value === from) (changed ??= { ...row })[field] = to;
    else if (Array.isArray(value) && value.includes(from)) {
      (changed ??= { ...row })[field] = [...new Set(value.map((v) => (v === from ? to : v)))];
    }
  }
  return changed ?? row;
}
