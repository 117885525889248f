/**
 * Helpers for Realtime tests with supabase-js: subscribe and wait, collect what a channel
 * receives, wait for a condition.
 */
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";

/** Subscribes and resolves on SUBSCRIBED; rejects with the server's reason on an error. */
export function subscribed(channel: RealtimeChannel, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel.topic}: not subscribed in ${timeoutMs} ms`)), timeoutMs);
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED") {
        clearTimeout(timer);
        resolve();
      } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") {
        clearTimeout(timer);
        reject(err ?? new Error(status));
      }
    });
  });
}

/**
 * Resolves with the reason of a refused join (the first CHANNEL_ERROR); the channel is removed
 * from its client (realtime-js would try again).
 */
export function refused(supabase: SupabaseClient, channel: RealtimeChannel, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel.topic}: neither joined nor refused`)), timeoutMs);
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED") {
        clearTimeout(timer);
        reject(new Error(`${channel.topic}: joined, though it should have been refused`));
      } else if (status === "CHANNEL_ERROR") {
        clearTimeout(timer);
        supabase.removeChannel(channel).finally(() => resolve(err?.message ?? ""));
      }
    });
  });
}

/** Waits for the `system` message telling that the channel's Postgres changes are subscribed. */
export function changesReady(channel: RealtimeChannel, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel.topic}: no "Subscribed to PostgreSQL"`)), timeoutMs);
    channel.on("system", {}, (payload: { extension?: string; status?: string; message?: string }) => {
      if (payload.extension !== "postgres_changes") return;
      clearTimeout(timer);
      if (payload.status === "ok") resolve();
      else reject(new Error(payload.message));
    });
  });
}

/** Polls until `check` is true (or throws after `timeoutMs`, saying what was awaited). */
export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
