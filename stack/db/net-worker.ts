/**
 * The local stand-in of pg_net's background worker and of the Vault secrets a project holds.
 *
 * - `startNetWorker(engine)`: performs the HTTP requests that `net.http_get`, `net.http_post` and
 *   `net.http_delete` queue in `net.http_request_queue` (sql/platform/60_net.sql), as pg_net's
 *   worker does on Supabase: a request is taken off the queue once committed, performed with its
 *   timeout, and its answer stored in `net._http_response` (status, headers, body; or timed_out /
 *   error_msg); answers are kept six hours. Woken by NOTIFY parley_net, and it looks every second.
 *   At most `concurrency` requests run at once. Like pg_net, each request is tried once.
 * - `putLocalSecrets(db, secrets)`: writes secrets into the local Vault (vault.create_secret, or
 *   vault.update_secret when the name exists). `npm start` puts the gateway's URL (project_url)
 *   and the service role key (service_role_key) there, so scheduled SQL that wakes a function
 *   works as on a project.
 *
 * Only for databases that got sql/platform/ (a real Supabase database has pg_net and Vault).
 */
import { type Db, describePgError } from "./client.ts";
import type { Engine } from "./engine.ts";

export interface NetWorker {
  /** Performs what is queued now (and waits for it); returns how many requests were performed. */
  drain(): Promise<number>;
  /** Stops looking; requests under way finish. */
  stop(): Promise<void>;
}

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  timeout_milliseconds: number;
}

const RESPONSE_TTL = "6 hours";
const MAX_BODY_CHARS = 1_000_000;

export function startNetWorker(
  engine: Engine,
  log: (line: string) => void = () => {},
  options: { pollMs?: number; concurrency?: number; timer?: boolean } = {},
): NetWorker {
  const pollMs = options.pollMs ?? 1000;
  const concurrency = options.concurrency ?? 8;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let draining: Promise<number> | null = null;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let lastPurge = 0;

  async function take(limit: number): Promise<QueuedRequest[]> {
    return await engine.db.query<QueuedRequest>(
      `delete from net.http_request_queue q
       where q.id in (select r.id from net.http_request_queue r order by r.id limit $1 for update skip locked)
       returning q.id::text as id, q.method, q.url, q.headers,
         case when q.body is null then null else convert_from(q.body, 'UTF8') end as body, q.timeout_milliseconds`,
      [limit],
    );
  }

  async function perform(request: QueuedRequest): Promise<void> {
    let row: unknown[];
    try {
      const res = await fetch(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        body: request.method === "POST" ? request.body : undefined,
        signal: AbortSignal.timeout(Math.max(1, request.timeout_milliseconds)),
      });
      const text = await res.text();
      row = [
        request.id,
        res.status,
        res.headers.get("content-type"),
        JSON.stringify(Object.fromEntries(res.headers)),
        text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text,
        false,
        null,
      ];
    } catch (e) {
      const timedOut = (e as Error).name === "TimeoutError";
      row = [
        request.id,
        null,
        null,
        null,
        null,
        timedOut,
        timedOut ? `Timeout of ${request.timeout_milliseconds} ms reached` : (e as Error).message,
      ];
    }
    try {
      await engine.db.query(
        `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
         values ($1::bigint, $2, $3, $4::text::jsonb, $5, $6, $7)`,
        row,
      );
    } catch (e) {
      if (!stopped) log(`net: request ${request.id}: cannot store the answer: ${describePgError(e)}`);
    }
  }

  async function drainOnce(): Promise<number> {
    let performed = 0;
    for (;;) {
      const free = concurrency - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight);
        continue;
      }
      const requests = stopped ? [] : await take(free);
      for (const request of requests) {
        const p: Promise<void> = perform(request).finally(() => inFlight.delete(p));
        inFlight.add(p);
        performed++;
      }
      if (requests.length < free) break;
    }
    await Promise.all(inFlight);
    if (Date.now() - lastPurge > 60_000) {
      lastPurge = Date.now();
      await engine.db.exec(`delete from net._http_response where created < now() - interval '${RESPONSE_TTL}'`);
    }
    return performed;
  }

  /** One drain at a time; a wake-up during one runs another after it. */
  function drain(): Promise<number> {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          total += await drainOnce();
        } while (again && !stopped);
      } catch (e) {
        if (!stopped) log(`net: ${describePgError(e)}`);
      } finally {
        draining = null;
      }
      return total;
    })();
    return draining;
  }

  function arm() {
    if (stopped) return;
    timer = setTimeout(async () => {
      await drain();
      arm();
    }, pollMs);
  }

  if (options.timer !== false) {
    engine.db.listen?.("parley_net", () => void drain()).then((u) => {
      if (stopped) void u();
      else unlisten = u;
    }).catch((e) => log(`net: cannot listen: ${describePgError(e)}`));
    arm();
  }

  return {
    drain,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await unlisten?.().catch(() => {});
      await draining;
      await Promise.all(inFlight);
    },
  };
}

/** Creates or updates Vault secrets by name. */
export async function putLocalSecrets(db: Db, secrets: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(secrets)) {
    const [existing] = await db.query<{ id: string }>(`select id::text from vault.secrets where name = $1`, [name]);
    if (existing) await db.query(`select vault.update_secret($1::uuid, $2)`, [existing.id, value]);
    else await db.query(`select vault.create_secret($1, $2, 'Written by the local stack (npm start)')`, [value, name]);
  }
}

/** What npm start writes into the local Vault: where functions are reached, and the service key. */
export function localSecrets(apiUrl: string, serviceRoleKey: string): Record<string, string> {
  return { project_url: apiUrl, service_role_key: serviceRoleKey };
}
