/**
 * Triggers that start syncs. browserTriggers(): the browser's (or Electron renderer's) online and
 * offline events and page visibility. On React Native, call engine.setOnline() from NetInfo and
 * engine.setForeground() from AppState. A Realtime trigger is a SyncTrigger too:
 *
 *   const realtime: SyncTrigger = {
 *     start(fire) {
 *       const channel = supabase.channel(`user:${userId}`, { config: { private: true } })
 *         .on("broadcast", { event: "*" }, () => fire("realtime")).subscribe();
 *       return () => { void supabase.removeChannel(channel); };
 *     },
 *   };
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
