/**
 * Presence as Phoenix.Presence keeps it for Realtime: per topic, each key (the channel's
 * `presence.key`, a user id for instance) has metas, one per tracking channel (two tabs of one
 * user: one key, two metas), each with a `phx_ref`. The state is `{key: {metas: [...]}}`; every
 * change is a diff `{joins, leaves}` of the same shape, sent to every member of the topic. An
 * update of a tracked channel leaves the old meta and joins the new one with `phx_ref_prev`.
 */

export interface Meta {
  phx_ref: string;
  phx_ref_prev?: string;
  [key: string]: unknown;
}

export type PresenceState = Record<string, { metas: Meta[] }>;

export interface PresenceDiff {
  joins: PresenceState;
  leaves: PresenceState;
}

interface Entry {
  key: string;
  meta: Meta;
  /** The payload as tracked, to tell an unchanged track apart. */
  json: string;
}

function ref(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return btoa(String.fromCharCode(...bytes));
}

export class PresenceTopic {
  /** Tracked channels (any object identifying a channel), in tracking order. */
  private entries = new Map<object, Entry>();

  get size(): number {
    return this.entries.size;
  }

  state(): PresenceState {
    const state: PresenceState = {};
    for (const e of this.entries.values()) (state[e.key] ??= { metas: [] }).metas.push(e.meta);
    return state;
  }

  /** Tracks or updates a channel's presence; null when nothing changed. */
  track(channel: object, key: string, payload: Record<string, unknown>): PresenceDiff | null {
    const json = JSON.stringify(payload);
    const old = this.entries.get(channel);
    if (old && old.json === json && old.key === key) return null;
    const meta: Meta = { ...payload, phx_ref: ref() };
    if (old) meta.phx_ref_prev = old.meta.phx_ref;
    // an update keeps the channel's place
    this.entries.set(channel, { key, meta, json });
    return {
      joins: { [key]: { metas: [meta] } },
      leaves: old ? { [old.key]: { metas: [old.meta] } } : {},
    };
  }

  /** Untracks a channel; null when it was not tracked. */
  untrack(channel: object): PresenceDiff | null {
    const old = this.entries.get(channel);
    if (!old) return null;
    this.entries.delete(channel);
    return { joins: {}, leaves: { [old.key]: { metas: [old.meta] } } };
  }
}
