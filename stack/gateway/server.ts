/**
 * The local API gateway: one HTTP port with Supabase's URL layout, so supabase-js works against it
 * as against a Supabase project.
 *
 *   /rest/v1/rpc/<fn>   PostgREST's RPC (rpc.ts)          apikey required, JWT → role
 *   /auth/v1/*          Supabase Auth, email/password (auth.ts)   apikey required
 *   /functions/v1/<fn>  Edge Functions in Deno (functions.ts)     verify_jwt per function
 *   /realtime/v1/websocket  Supabase Realtime (../realtime/)      apikey required
 *   /storage/v1/*       Supabase Storage over local files (../storage/)   JWT checked by Storage
 *
 * It plays the API gateway's part too (Kong on Supabase): the `apikey` must be the anon or
 * service_role key, CORS is answered for /rest and /auth, and unknown routes get Kong's 404.
 * Nothing a client sends escapes as an exception: every failure is an HTTP answer.
 */
import type { SupabaseConfig } from "../cli/config.ts";
import { serverDb } from "../db/client.ts";
import type { Engine } from "../db/engine.ts";
import { ROOT } from "../paths.ts";
import { join } from "node:path";
import { handleAuth } from "./auth.ts";
import { Catalog } from "./catalog.ts";
import { corsHeaders, preflight } from "./cors.ts";
import { ApiError, errorResponse, internalError, pgrstError } from "./errors.ts";
import { type Executor, nativeExecutor, pgliteExecutor } from "./executor.ts";
import { FunctionsRunner } from "./functions.ts";
import { bearerToken, jsonResponse } from "./http.ts";
import { type JwtClaims, JwtError, JwtVerifier } from "./jwt.ts";
import type { Keys } from "./keys.ts";
import type { Caller } from "./request.ts";
import { handleRpc } from "./rpc.ts";
import { handleTable } from "./tables.ts";
import { type Realtime, type RealtimeOptions, startRealtime } from "../realtime/server.ts";
import { FileStore } from "../storage/files.ts";
import { StorageApi } from "../storage/server.ts";

export interface GatewayOptions {
  engine: Engine;
  keys: Keys;
  config: SupabaseConfig;
  /** 0 picks a free port. */
  port: number;
  hostname?: string;
  /** Where Edge Functions live (default: `functions/` of the project). */
  functionsDir?: string;
  /** Largest request body for /rest/v1 and /functions/v1 (default 8 MiB). */
  maxBodyBytes?: number;
  /** Largest request body for /auth/v1 (default 64 KiB). */
  maxAuthBodyBytes?: number;
  /** Connections to a native Postgres (default 16). */
  poolSize?: number;
  /** Restart a function's worker when its files change (default true). */
  watchFunctions?: boolean;
  /**
   * The functions' secrets file, instead of supabase/functions/.env and `<functionsDir>/.env`
   * (`npm start -- --env-file <path>`).
   */
  functionsEnvFile?: string;
  log?: (line: string) => void;
  /** Log one line per request. */
  logRequests?: boolean;
  /** Realtime settings (e.g. how many unsent bytes disconnect a slow client). */
  realtime?: Pick<RealtimeOptions, "maxBufferedBytes" | "maxPayloadBytes">;
  /** Where /storage/v1 keeps object files (default: a temporary folder, removed by stop()). */
  storageDir?: string;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  readonly keys: Keys;
  readonly catalog: Catalog;
  readonly functions: FunctionsRunner;
  readonly realtime: Realtime;
  /** Where /storage/v1 keeps object files. */
  readonly storageDir: string;
  stop(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_AUTH_BODY_BYTES = 64 * 1024;

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? (() => {});
  const { engine, keys, config } = options;
  const hostname = options.hostname ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxAuthBodyBytes = options.maxAuthBodyBytes ?? DEFAULT_MAX_AUTH_BODY_BYTES;

  // PGlite: its single backend, through its own transactions. Native: a postgres.js pool of our own
  // for RPC calls, Auth and the schema cache.
  const ownPool = engine.kind === "native"
    ? serverDb(engine.url, { max: options.poolSize ?? 16, applicationName: "parley-gateway" })
    : null;
  const executor: Executor = ownPool ? nativeExecutor(ownPool) : pgliteExecutor(engine.db);
  const catalog = new Catalog(executor.db, config.api.schemas, log, config.api.extraSearchPath);
  try {
    await catalog.start();
  } catch (e) {
    await ownPool?.close();
    throw e;
  }
  const verifier = new JwtVerifier(keys.key);
  const storageDir = options.storageDir ?? await Deno.makeTempDir({ prefix: "parley-storage-" });
  const storage = new StorageApi({
    executor,
    roleSettings: (role) => catalog.role(role)?.settings,
    verifier,
    key: keys.key,
    files: new FileStore(storageDir),
    fileSizeLimit: config.storage.fileSizeLimit,
    log,
  });
  let realtime: Realtime;
  try {
    realtime = await startRealtime({ engine, verifier, log, ...options.realtime });
  } catch (e) {
    await catalog.stop();
    await ownPool?.close();
    throw e;
  }
  let url = "";
  const functions = new FunctionsRunner({
    dir: options.functionsDir ?? join(ROOT, "functions"),
    config: config.functions,
    verifier,
    maxBodyBytes,
    log,
    watch: options.watchFunctions,
    ...(options.functionsEnvFile ? { envFiles: [options.functionsEnvFile] } : {}),
    env: () => ({
      SUPABASE_URL: url,
      SUPABASE_ANON_KEY: keys.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
      SUPABASE_DB_URL: engine.url,
    }),
  });
  const rpcOptions = { catalog, executor, api: config.api, maxBodyBytes };
  const authOptions = {
    executor,
    keys,
    verifier,
    settings: config.auth,
    url: () => url,
    maxBodyBytes: maxAuthBodyBytes,
  };

  /** The caller of a /rest request: its JWT (Authorization, else the apikey) verified. */
  const callerOf = async (req: Request, apikey: string): Promise<Caller> => {
    const token = bearerToken(req) || apikey;
    let claims: JwtClaims;
    try {
      claims = await verifier.verify(token);
    } catch (e) {
      if (!(e instanceof JwtError)) throw e;
      const code = e.problem === "expired" || e.problem === "not_yet_valid" ? "PGRST303" : "PGRST301";
      throw pgrstError(401, code, e.message, null, null, {
        "www-authenticate": `Bearer error="invalid_token", error_description="${e.message.replaceAll('"', "'")}"`,
      });
    }
    const role = typeof claims.role === "string" && claims.role !== "" ? claims.role : "anon";
    return { role, claims, authed: role !== "anon" };
  };

  const rest = async (req: Request, url: URL, apikey: string): Promise<Response> => {
    try {
      const m = /^\/rest\/v1\/(?:(rpc)\/)?([^/]+)$/.exec(url.pathname);
      let name: string | null = null;
      try {
        name = m ? decodeURIComponent(m[2]) : null;
      } catch { /* bad percent-encoding */ }
      if (name === null || name.includes("\0")) {
        throw pgrstError(
          404,
          "PGRST125",
          "Invalid path specified in request URL",
          null,
          "The local gateway serves /rest/v1/<table or view> and /rest/v1/rpc/<function>.",
        );
      }
      const caller = await callerOf(req, apikey);
      return m![1]
        ? await handleRpc(req, url, name, caller, rpcOptions)
        : await handleTable(req, url, name, caller, rpcOptions);
    } catch (e) {
      if (e instanceof ApiError) return errorResponse(e);
      throw e;
    }
  };

  const route = async (req: Request, url: URL, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const path = url.pathname;
    if (path.startsWith("/functions/v1/")) return await functions.handle(req, url);
    if (path.startsWith("/storage/v1/")) {
      // Storage checks the JWT itself; its routes need no apikey (public and signed URLs are links)
      if (req.method === "OPTIONS") return preflight(req);
      const res = await storage.handle(req, url);
      for (const [k, v] of Object.entries(corsHeaders(req))) res.headers.set(k, v);
      return res;
    }
    const service = path.startsWith("/rest/v1/")
      ? "rest"
      : path.startsWith("/auth/v1/")
      ? "auth"
      : path.startsWith("/realtime/v1/")
      ? "realtime"
      : null;
    if (!service) return jsonResponse(404, { message: "no Route matched with those values" }, corsHeaders(req));
    if (req.method === "OPTIONS") return preflight(req);
    const cors = corsHeaders(req);
    const apikey = req.headers.get("apikey") ?? url.searchParams.get("apikey");
    if (!apikey) {
      return jsonResponse(401, {
        message: "No API key found in request",
        hint: "No `apikey` request header or url param was found.",
      }, cors);
    }
    if (apikey !== keys.anonKey && apikey !== keys.serviceRoleKey) {
      return jsonResponse(401, {
        message: "Invalid API key",
        hint: "Double check your Supabase `anon` or `service_role` API key.",
      }, cors);
    }
    if (service === "realtime") return realtime.handle(req, url);
    const res = service === "rest"
      ? await rest(req, url, apikey)
      : await handleAuth(req, url, path.slice("/auth/v1".length), {
        ip: (info.remoteAddr as Deno.NetAddr).hostname ?? null,
      }, authOptions);
    for (const [k, v] of Object.entries(cors)) res.headers.set(k, v);
    return res;
  };

  const server = Deno.serve({
    port: options.port,
    hostname,
    onListen() {},
    onError(e) {
      log(`gateway: ${(e as Error).stack ?? e}`);
      return errorResponse(internalError());
    },
  }, async (req, info) => {
    const started = performance.now();
    const reqUrl = new URL(req.url);
    let res: Response;
    try {
      res = await route(req, reqUrl, info);
    } catch (e) {
      log(`gateway: ${req.method} ${reqUrl.pathname}: ${(e as Error).stack ?? e}`);
      res = errorResponse(internalError((e as Error).message), corsHeaders(req));
    }
    if (options.logRequests) {
      log(`${req.method} ${reqUrl.pathname} ${res.status} ${(performance.now() - started).toFixed(1)}ms`);
    }
    return res;
  });
  const port = server.addr.port;
  url = `http://${hostname}:${port}`;

  return {
    url,
    port,
    keys,
    catalog,
    functions,
    realtime,
    storageDir,
    async stop() {
      await realtime.stop().catch((e) => log(`realtime: ${(e as Error).message}`));
      await functions.stop();
      await server.shutdown();
      await catalog.stop();
      await ownPool?.close();
      if (!options.storageDir) await Deno.remove(storageDir, { recursive: true }).catch(() => {});
    },
  };
}
