/**
 * End-to-end test stacks: a fresh throwaway database (platform + migrations + seeds) on the chosen
 * engine, and the gateway on a free port, as `npm start` runs them. Import it from any e2e test:
 *
 *   for (const kind of testEngines()) {
 *     const stack = stackFixture(kind);
 *     stackTest(stack, "does something", async (s) => { const db = client(s); … });
 *   }
 *
 * or use startTestStack(kind) / stop() directly.
 */
import assert from "node:assert/strict";
import { createClient, type PostgrestError, type SupabaseClient } from "@supabase/supabase-js";
import { applySqlFile, prepareDatabase } from "../../stack/db/migrate.ts";
import { type Engine, type EngineKind, startEngine, testEngines } from "../../stack/db/engine.ts";
export { testEngines };
import { readSupabaseConfig, type SupabaseConfig } from "../../stack/cli/config.ts";
import { freePort, TEST_HELPERS } from "../../stack/paths.ts";
import { type Gateway, type GatewayOptions, startGateway } from "../../stack/gateway/server.ts";
import { loadKeys } from "../../stack/gateway/keys.ts";
import { type Scheduler, startScheduler } from "../../stack/db/scheduler.ts";
import { localSecrets, type NetWorker, putLocalSecrets, startNetWorker } from "../../stack/db/net-worker.ts";

export interface TestStack {
  /** The gateway's URL (what createClient takes). */
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** The JWT secret, to mint tokens a test needs (expired, other roles…). */
  jwtSecret: string;
  /** Postgres URL of the database. */
  dbUrl: string;
  engine: Engine;
  gateway: Gateway;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** Install sql/tests/helpers.sql (tests.create_user, …) into the database. */
  testHelpers?: boolean;
  /** Change supabase/config.toml's settings for this stack. */
  config?: (config: SupabaseConfig) => void;
  /** Other gateway options (functionsDir, maxBodyBytes…). */
  gateway?: Partial<Omit<GatewayOptions, "engine" | "keys" | "config">>;
  /** Runs once the stack is up (e.g. creates the SQL a test needs, as the postgres superuser). */
  setup?: (stack: TestStack) => Promise<void>;
  /**
   * Also what `npm start` runs beside the gateway: the scheduler of private.scheduled_jobs (where
   * pg_cron does not run them), the local Vault's project_url and service_role_key, and the net
   * worker performing net.http_post's requests.
   */
  services?: boolean;
}

export async function startTestStack(kind: EngineKind, options: TestStackOptions = {}): Promise<TestStack> {
  const engine = await startEngine(kind, { port: freePort() });
  try {
    await prepareDatabase(engine);
    if (options.testHelpers) await applySqlFile(engine.db, TEST_HELPERS);
    const config = await readSupabaseConfig();
    options.config?.(config);
    const keys = await loadKeys();
    const gateway = await startGateway({
      engine,
      keys,
      config,
      port: 0,
      watchFunctions: false,
      log: Deno.env.get("PARLEY_TEST_LOG") ? (line) => console.error(`[gateway] ${line}`) : undefined,
      ...options.gateway,
    });
    let services: { scheduler: Scheduler; net: NetWorker } | null = null;
    if (options.services) {
      await putLocalSecrets(engine.db, localSecrets(gateway.url, keys.serviceRoleKey));
      services = { scheduler: startScheduler(engine), net: startNetWorker(engine) };
    }
    const stack: TestStack = {
      url: gateway.url,
      anonKey: keys.anonKey,
      serviceRoleKey: keys.serviceRoleKey,
      jwtSecret: keys.jwtSecret,
      dbUrl: engine.url,
      engine,
      gateway,
      async stop() {
        services?.scheduler.stop();
        await services?.net.stop().catch(() => {});
        await gateway.stop().catch(() => {});
        await engine.stop();
      },
    };
    try {
      await options.setup?.(stack);
    } catch (e) {
      await gateway.stop().catch(() => {});
      throw e;
    }
    return stack;
  } catch (e) {
    await engine.stop().catch(() => {});
    throw e;
  }
}

/** A supabase-js client for a stack, without persisted sessions or background refreshes. */
export function client(stack: Pick<TestStack, "url" | "anonKey">, key = stack.anonKey): SupabaseClient {
  return createClient(stack.url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

/** A new user, signed in: its client, id, email and session. */
export async function signedInUser(stack: TestStack, name: string, metadata: Record<string, unknown> = {}) {
  const supabase = client(stack);
  const email = `${name}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const password = `${name}-password-${crypto.randomUUID()}`;
  const { data, error } = await supabase.auth.signUp({ email, password, options: { data: metadata } });
  if (error || !data.session || !data.user) throw new Error(`sign up ${email}: ${error?.message ?? "no session"}`);
  return { supabase, id: data.user.id, email, password, session: data.session };
}

/**
 * Calls an RPC through supabase-js and asserts that it succeeded (no error, a 2xx status); returns
 * its data. `args` as supabase-js sends them (named arguments).
 */
// deno-lint-ignore no-explicit-any
export async function rpcOk<T = any>(supabase: SupabaseClient, fn: string, args?: Record<string, unknown>): Promise<T> {
  const { data, error, status } = await supabase.rpc(fn, args);
  assert.equal(error, null, `${fn} failed (${status}): ${JSON.stringify(error)}`);
  assert.ok(status >= 200 && status < 300, `${fn}: status ${status}`);
  return data as T;
}

/**
 * Calls an RPC through supabase-js and asserts that it failed with this HTTP status and error code
 * (and message, when given); returns the error (code, message, details, hint).
 */
export async function rpcFails(
  supabase: SupabaseClient,
  fn: string,
  args: Record<string, unknown> | undefined,
  expected: { status: number; code: string; message?: RegExp },
): Promise<PostgrestError> {
  const { data, error, status } = await supabase.rpc(fn, args);
  assert.equal(data, null, `${fn} should have failed, got ${JSON.stringify(data)}`);
  assert.ok(error, `${fn} should have failed`);
  assert.deepEqual({ status, code: error.code }, { status: expected.status, code: expected.code }, error.message);
  if (expected.message) assert.match(error.message, expected.message);
  return error;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body (null when empty), or the text when it is not JSON. */
  body: unknown;
  text: string;
}

/**
 * A raw HTTP call to the gateway, for what supabase-js hides (status codes, headers, bodies). Sends
 * the anon key as `apikey` unless `apikey` is given (null: none), and `token` as the bearer.
 */
export async function api(
  stack: Pick<TestStack, "url" | "anonKey">,
  path: string,
  init: {
    method?: string;
    body?: BodyInit | Record<string, unknown> | unknown[] | null;
    headers?: Record<string, string>;
    token?: string;
    apikey?: string | null;
  } = {},
): Promise<ApiAnswer> {
  const headers = new Headers(init.headers);
  if (init.apikey !== null && !headers.has("apikey")) headers.set("apikey", init.apikey ?? stack.anonKey);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body as BodyInit | null | undefined;
  const plain = init.body !== null && typeof init.body === "object" &&
    (Array.isArray(init.body) || Object.getPrototypeOf(init.body) === Object.prototype);
  if (plain) {
    body = JSON.stringify(init.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await fetch(`${stack.url}${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A stack shared by several tests: started by the first that needs it, stopped by `stop`. */
export interface StackFixture {
  kind: EngineKind;
  get(): Promise<TestStack>;
  stop(): Promise<void>;
}

export function stackFixture(kind: EngineKind, options: TestStackOptions = {}): StackFixture {
  let started: Promise<TestStack> | null = null;
  return {
    kind,
    get() {
      started ??= startTestStack(kind, options);
      return started;
    },
    async stop() {
      if (!started) return;
      const s = started;
      started = null;
      await (await s.catch(() => null))?.stop();
    },
  };
}

const slow = { sanitizeOps: false, sanitizeResources: false };

/** Registers `${kind}: ${name}` using the fixture's stack (started by the first test that runs). */
export function stackTest(fixture: StackFixture, name: string, fn: (stack: TestStack) => Promise<void>): void {
  Deno.test({ name: `${fixture.kind}: ${name}`, ...slow, fn: async () => fn(await fixture.get()) });
}

/**
 * Stops the fixture's stack when the module's tests are done (`Deno.test.afterAll`), also when some
 * were filtered out or failed. Teardown is not a test: every registered test asserts something.
 */
export function stopStackAfterTests(fixture: StackFixture): void {
  Deno.test.afterAll(() => fixture.stop());
}
