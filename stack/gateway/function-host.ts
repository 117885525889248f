/**
 * Runs one Edge Function, unmodified, in this Deno process: `deno run … function-host.ts <entry>`.
 *
 * A Supabase entry point calls `Deno.serve(handler)` without choosing where to listen. Before the
 * entry point is imported, `Deno.serve` is wrapped so the server listens on 127.0.0.1, on a port
 * the system picks, and the port is announced on stdout for the gateway. A module that only exports
 * `default { fetch }` (the `deno serve` convention) is served the same way.
 */
import { pathToFileURL } from "node:url";

export const READY_MARKER = "\u0000parley-function-listening:";

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

if (import.meta.main) await main(Deno.args[0]);

async function main(entry: string | undefined) {
  if (!entry) {
    console.error("usage: function-host.ts <entrypoint>");
    Deno.exit(2);
  }
  const originalServe = Deno.serve.bind(Deno);
  let served = false;

  const serve = (...args: unknown[]): Deno.HttpServer => {
    let options: Record<string, unknown> = {};
    let handler: Handler | undefined;
    if (typeof args[0] === "function") handler = args[0] as Handler;
    else {
      options = { ...(args[0] as Record<string, unknown> ?? {}) };
      handler = (typeof args[1] === "function" ? args[1] : options.handler) as Handler | undefined;
    }
    if (!handler) throw new TypeError("Deno.serve: no handler");
    const firstServer = !served;
    served = true;
    for (const key of ["handler", "port", "hostname", "path", "cert", "key"]) delete options[key];
    const onListen = options.onListen as ((addr: Deno.NetAddr) => void) | undefined;
    return originalServe({
      ...options,
      port: 0,
      hostname: "127.0.0.1",
      onListen(addr: Deno.NetAddr) {
        if (firstServer) console.log(`${READY_MARKER}${addr.port}`);
        onListen?.(addr);
      },
    }, handler);
  };

  (Deno as unknown as { serve: unknown }).serve = serve;

  const mod = await import(pathToFileURL(entry).href);
  if (!served && typeof mod.default?.fetch === "function") {
    serve((req: Request, info: Deno.ServeHandlerInfo) => mod.default.fetch(req, info));
  }
  if (!served) {
    console.error(`${entry}: neither calls Deno.serve nor exports default { fetch }`);
    Deno.exit(1);
  }
}
