/**
 * Triggers that start syncs. browserTriggers(): the browser's (or Electron renderer's) online and
 * offline events and page visibility. On React Native, call engine.setOnline() from NetInfo and
 * engine.setForeground() from AppState. realtimeTrigger(): a pull when Parley broadcasts a change
 * on the user's private Realtime topic.
 */
import type { SyncEngine, SyncTrigger } from "./engine.ts";

interface EventSource {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** Connectivity from `online`/`offline` events, foreground from `visibilitychange`. */
export function browserTriggers(
  win: (EventSource & { navigator?: { onLine?: boolean } }) | undefined = globalThis as unknown as EventSource,
  doc: (EventSource & { visibilityState?: string }) | undefined = (globalThis as { document?: EventSource }).document,
): SyncTrigger {
  return {
    start(_fire, engine: SyncEngine) {
      const online = () => engine.setOnline(true);
      const offline = () => engine.setOnline(false);
      const visibility = () => engine.setForeground(doc?.visibilityState !== "hidden");
      if (win?.navigator?.onLine === false) engine.setOnline(false);
      win?.addEventListener("online", online);
      win?.addEventListener("offline", offline);
      doc?.addEventListener("visibilitychange", visibility);
      return () => {
        win?.removeEventListener("online", online);
        win?.removeEventListener("offline", offline);
        doc?.removeEventListener("visibilitychange", visibility);
      };
    },
  };
}

/** What realtimeTrigger needs of a Supabase client (supabase-js's SupabaseClient has it). */
export interface RealtimeClient {
  channel(name: string, options: { config: { private: boolean } }): RealtimeChannelLike;
  removeChannel(channel: RealtimeChannelLike): Promise<unknown>;
}
export interface RealtimeChannelLike {
  on(type: "broadcast", filter: { event: string }, callback: () => void): RealtimeChannelLike;
  subscribe(callback?: (status: string) => void): RealtimeChannelLike;
}

/**
 * Syncs when a change reaches the user's private topic `user:<userId>`, where Parley broadcasts
 * changes of their entries (and dreams, images, interpretations, attachments): another device's
 * write is pulled within moments instead of at the next interval. Also syncs each time the channel
 * is (re)subscribed, so what was broadcast while the connection was down is pulled too. Bursts are
 * gathered (`debounceMs`, default 100). The device's own writes come back as broadcasts as well;
 * the pull they start finds nothing new and costs one call.
 *
 *   engine = new SyncEngine({ storage, transport, triggers: [realtimeTrigger(supabase, user.id)] });
 */
export function realtimeTrigger(
  supabase: RealtimeClient,
  userId: string,
  options: { debounceMs?: number } = {},
): SyncTrigger {
  const debounceMs = options.debounceMs ?? 100;
  return {
    start(fire) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const soon = () => {
        if (timer !== undefined) return;
        timer = setTimeout(() => {
          timer = undefined;
          fire("realtime");
        }, debounceMs);
      };
      const channel = supabase.channel(`user:${userId}`, { config: { private: true } })
        .on("broadcast", { event: "*" }, soon)
        .subscribe((status) => {
          if (status === "SUBSCRIBED") soon();
        });
      return () => {
        if (timer !== undefined) clearTimeout(timer);
        void supabase.removeChannel(channel);
      };
    },
  };
}
