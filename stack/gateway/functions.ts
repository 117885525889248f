/**
 * `/functions/v1/<name>`: Edge Functions, each in its own Deno process, started on its first request
 * (Supabase's `per_worker` policy) and kept running; restarted after it exits or when a file of its
 * folder (or of `_shared/`) changes.
 *
 * - The entry point is `[functions.<name>] entrypoint` in supabase/config.toml, else
 *   `<functions dir>/<name>/index.ts`; it runs unmodified through function-host.ts.
 * - Its environment is what Supabase provides (SUPABASE_URL = the gateway, SUPABASE_ANON_KEY,
 *   SUPABASE_SERVICE_ROLE_KEY, SUPABASE_DB_URL) plus the secrets of `supabase/functions/.env` (where
 *   `supabase functions serve` reads them) and `<functions dir>/.env`, the latter winning; or, instead
 *   of both, of the file given (`npm start -- --env-file <path>`, as `supabase functions serve
 *   --env-file`); not the gateway's own environment. The files are read when a worker starts.
 * - `verify_jwt` (default true): a request needs a valid JWT (any role, the anon key included) in
 *   `Authorization: Bearer`, except CORS preflights, which reach the function as on Supabase.
 * - Requests and responses are streamed both ways (Server-Sent Events pass unbuffered); the request
 *   path the function sees is `/<name>/<rest>`, as on Supabase.
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FunctionSettings } from "../cli/config.ts";
import { exists, ROOT } from "../paths.ts";
import { bearerToken, BodyTooLargeError, declaredLength, HOP_BY_HOP, jsonResponse } from "./http.ts";
import { JwtError, type JwtVerifier } from "./jwt.ts";
import { READY_MARKER } from "./function-host.ts";
import { corsHeaders } from "./cors.ts";

export interface FunctionsOptions {
  /** The folder holding one folder per function (and `_shared/`, `.env`). */
  dir: string;
  config: Record<string, FunctionSettings>;
  /** SUPABASE_URL, keys and database URL; read when a worker starts. */
  env: () => Record<string, string>;
  verifier: JwtVerifier;
  maxBodyBytes: number;
  log: (line: string) => void;
  /** Watch the folder and restart workers whose files change (default true). */
  watch?: boolean;
  /**
   * The secrets files (KEY=VALUE lines), later ones winning. Default: supabase/functions/.env of the
   * project, then `<dir>/.env`.
   */
  envFiles?: string[];
}

interface Spec {
  name: string;
  entrypoint: string;
  verifyJwt: boolean;
}

interface Worker {
  spec: Spec;
  process: Deno.ChildProcess;
  ready: Promise<number>;
  exited: boolean;
}

const HOST = fileURLToPath(new URL("./function-host.ts", import.meta.url));
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const START_TIMEOUT_MS = 60_000;

export class FunctionsRunner {
  private workers = new Map<string, Worker>();
  private watcher: Deno.FsWatcher | null = null;
  private stopped = false;

  constructor(private readonly o: FunctionsOptions) {
    if (o.watch !== false) this.watch();
  }

  async handle(req: Request, url: URL): Promise<Response> {
    const rest = url.pathname.slice("/functions/v1/".length);
    const slash = rest.indexOf("/");
    const name = slash < 0 ? rest : rest.slice(0, slash);
    // a running worker's spec, or the function's files (read when it starts; the watcher restarts it
    // when they change)
    const spec = NAME.test(name) ? this.workers.get(name)?.spec ?? await this.find(name) : null;
    if (!spec) return this.error(req, 404, "NOT_FOUND", "Requested function was not found");

    if (spec.verifyJwt && req.method !== "OPTIONS") {
      const token = bearerToken(req);
      if (!token) return this.error(req, 401, "UNAUTHORIZED_NO_AUTH_HEADER", "Missing authorization header");
      try {
        await this.o.verifier.verify(token);
      } catch (e) {
        if (!(e instanceof JwtError)) throw e;
        return this.error(req, 401, "UNAUTHORIZED_INVALID_JWT", `Invalid JWT: ${e.message}`);
      }
    }
    const tooLarge = () =>
      this.error(req, 413, "PAYLOAD_TOO_LARGE", `Request body larger than ${this.o.maxBodyBytes} bytes`);
    const declared = declaredLength(req);
    if (declared !== null && declared > this.o.maxBodyBytes) {
      await req.body?.cancel().catch(() => {});
      return tooLarge();
    }

    let port: number;
    try {
      port = await this.worker(spec).ready;
    } catch (e) {
      this.o.log(`functions: ${spec.name} failed to start: ${(e as Error).message}`);
      return this.error(req, 503, "BOOT_ERROR", "Function failed to start (please check logs)");
    }

    const headers = new Headers();
    for (const [k, v] of req.headers) if (!HOP_BY_HOP.includes(k) && k !== "host") headers.append(k, v);
    headers.set("host", `127.0.0.1:${port}`);
    headers.set("x-forwarded-host", url.host);
    headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
    // the worker answers uncompressed: the gateway's own server compresses for the client
    headers.set("accept-encoding", "identity");
    const target = `http://127.0.0.1:${port}/${name}${slash < 0 ? "" : rest.slice(slash)}${url.search}`;
    const limited = { hit: false };
    let upstream: Response;
    try {
      upstream = await fetch(target, {
        method: req.method,
        headers,
        body: req.body ? limitStream(req.body, this.o.maxBodyBytes, limited) : null,
        redirect: "manual",
        // @ts-ignore: streaming request bodies need half duplex
        duplex: "half",
      });
    } catch (e) {
      if (limited.hit) return tooLarge();
      this.o.log(`functions: ${spec.name}: ${(e as Error).message}`);
      return this.error(req, 502, "WORKER_ERROR", "The function did not answer (please check logs)");
    }
    const out = new Headers();
    for (const [k, v] of upstream.headers) if (!HOP_BY_HOP.includes(k)) out.append(k, v);
    return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    await Promise.all([...this.workers.values()].map((w) => this.kill(w)));
    this.workers.clear();
  }

  /** Stops a function's worker (all of them without a name); the next request starts it again. */
  async restart(name?: string): Promise<void> {
    const victims = [...this.workers.values()].filter((w) => !name || w.spec.name === name);
    for (const w of victims) this.workers.delete(w.spec.name);
    await Promise.all(victims.map((w) => this.kill(w)));
  }

  private error(req: Request, status: number, code: string, message: string): Response {
    return jsonResponse(status, { code, message }, corsHeaders(req));
  }

  private async find(name: string): Promise<Spec | null> {
    if (name.startsWith("_")) return null;
    const configured = this.o.config[name];
    const entrypoint = configured?.entrypoint ?? join(this.o.dir, name, "index.ts");
    if (!configured && !(await exists(entrypoint))) return null;
    return { name, entrypoint, verifyJwt: configured?.verifyJwt ?? true };
  }

  private worker(spec: Spec): Worker {
    const running = this.workers.get(spec.name);
    if (running) return running; // an exited worker has left the map
    const worker = this.spawn(spec);
    this.workers.set(spec.name, worker);
    return worker;
  }

  private spawn(spec: Spec): Worker {
    const functionDir = dirname(spec.entrypoint);
    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    const process = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        "--config",
        this.denoConfig(functionDir),
        // npm packages come from the project's node_modules (npm ci), whichever deno.json maps them,
        // never downloaded: a function's own deno.json may name only versions installed there
        "--node-modules-dir=manual",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        `--allow-write=${tmp}`,
        HOST,
        spec.entrypoint,
      ],
      cwd: functionDir,
      clearEnv: true,
      env: this.environment(tmp),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let resolveReady!: (port: number) => void;
    let rejectReady!: (e: Error) => void;
    const ready = new Promise<number>((res, rej) => [resolveReady, rejectReady] = [res, rej]);
    ready.catch(() => {}); // observed by handle()
    const worker: Worker = { spec, process, ready, exited: false };
    const recent: string[] = [];
    const log = (line: string) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      this.o.log(`[${spec.name}] ${line}`);
    };
    const timer = setTimeout(() => {
      rejectReady(new Error(`not listening after ${START_TIMEOUT_MS / 1000}s`));
      this.kill(worker);
    }, START_TIMEOUT_MS);
    pumpLines(process.stdout, (line) => {
      if (line.startsWith(READY_MARKER)) {
        clearTimeout(timer);
        resolveReady(Number(line.slice(READY_MARKER.length)));
      } else log(line);
    });
    pumpLines(process.stderr, log);
    process.status.then((status) => {
      worker.exited = true;
      clearTimeout(timer);
      rejectReady(new Error(`exited with code ${status.code}${recent.length ? `:\n${recent.join("\n")}` : ""}`));
      if (this.workers.get(spec.name) === worker) this.workers.delete(spec.name);
      if (!this.stopped && status.code !== 0 && status.signal === null) {
        this.o.log(`functions: ${spec.name} exited with code ${status.code}`);
      }
    });
    return worker;
  }

  private async kill(worker: Worker): Promise<void> {
    if (worker.exited) return;
    try {
      worker.process.kill("SIGTERM");
    } catch { /* already gone */ }
    const timeout = setTimeout(() => {
      try {
        worker.process.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 3000);
    await worker.process.status;
    clearTimeout(timeout);
  }

  /** A function's own deno.json when it has one, else the project's (its import map). */
  private denoConfig(functionDir: string): string {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const path = join(functionDir, name);
      try {
        Deno.statSync(path);
        return path;
      } catch { /* none */ }
    }
    return join(ROOT, "deno.json");
  }

  private environment(tmp: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of ["PATH", "HOME", "DENO_DIR", "NO_COLOR", "LANG", "TZ"]) {
      const v = Deno.env.get(name);
      if (v !== undefined) env[name] = v;
    }
    env.TMPDIR = tmp;
    env.DENO_NO_UPDATE_CHECK = "1";
    const files = this.o.envFiles ?? [join(ROOT, "supabase", "functions", ".env"), join(this.o.dir, ".env")];
    for (const file of files) Object.assign(env, readDotenv(file));
    Object.assign(env, this.o.env());
    return env;
  }

  private async watch(): Promise<void> {
    let watcher: Deno.FsWatcher;
    try {
      watcher = this.watcher = Deno.watchFs(this.o.dir, { recursive: true });
    } catch {
      return; // no functions folder
    }
    const pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      for await (const event of watcher) {
        for (const path of event.paths) {
          const first = relative(resolve(this.o.dir), path).split(/[\\/]/)[0];
          if (first && !first.startsWith(".")) pending.add(first);
          if (first === ".env") pending.add("_shared");
        }
        clearTimeout(timer);
        timer = setTimeout(() => {
          const names = [...pending];
          pending.clear();
          if (names.some((n) => n.startsWith("_"))) this.restart();
          else for (const n of names) this.restart(n);
        }, 150);
      }
    } catch { /* closed */ }
    clearTimeout(timer);
  }
}

/** Counts bytes through; past the limit the stream errors (and `flag.hit` says why). */
function limitStream(body: ReadableStream<Uint8Array>, limit: number, flag: { hit: boolean }) {
  let size = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit) {
          flag.hit = true;
          controller.error(new BodyTooLargeError(limit, size));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

async function pumpLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  let buffer = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, nl).replace(/\r$/, ""));
        buffer = buffer.slice(nl + 1);
      }
    }
  } catch { /* process gone */ }
  if (buffer) onLine(buffer);
}

/** KEY=VALUE lines (optionally quoted, # comments), as the Supabase CLI reads functions/.env. */
function readDotenv(path: string): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^".*"$/.test(value)) value = value.slice(1, -1).replaceAll("\\n", "\n").replaceAll('\\"', '"');
    else if (/^'.*'$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, "");
    env[m[1]] = value;
  }
  return env;
}
