/**
 * The local pg_net and Vault stand-ins, on each engine: net.http_post queues a request that the
 * stack's net worker performs after commit (headers and JSON body as given), storing the answer in
 * net._http_response; a request past its timeout is recorded as timed out; putLocalSecrets writes and
 * updates vault.decrypted_secrets by name.
 */
import assert from "node:assert/strict";
import { startEngine, testEngines } from "../../stack/db/engine.ts";
import { applyPlatform } from "../../stack/db/migrate.ts";
import { freePort } from "../../stack/paths.ts";
import { putLocalSecrets, startNetWorker } from "../../stack/db/net-worker.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: net.http_post is performed by the stack's net worker; Vault secrets by name`,
    ...slow,
    async fn() {
      const received: { method: string; auth: string | null; body: unknown; path: string }[] = [];
      const target = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
        const url = new URL(req.url);
        if (url.pathname === "/slow") await new Promise((r) => setTimeout(r, 1500));
        received.push({
          method: req.method,
          auth: req.headers.get("authorization"),
          body: await req.json().catch(() => null),
          path: url.pathname + url.search,
        });
        return Response.json({ ok: true }, { status: 201 });
      });
      const engine = await startEngine(kind, { port: freePort() });
      const net = startNetWorker(engine, () => {}, { timer: false });
      try {
        await applyPlatform(engine.db);
        const base = `http://127.0.0.1:${target.addr.port}`;
        const [{ id }] = await engine.db.query<{ id: string }>(
          `select net.http_post(url => $1, body => '{"hello": "world"}', params => '{"q": "a b"}',
             headers => '{"Authorization": "Bearer k"}', timeout_milliseconds => 5000)::text as id`,
          [`${base}/fn`],
        );
        const [{ id: slowId }] = await engine.db.query<{ id: string }>(
          `select net.http_get($1, timeout_milliseconds => 200)::text as id`,
          [`${base}/slow`],
        );
        assert.equal(await net.drain(), 2);
        assert.deepEqual(received[0], {
          method: "POST",
          auth: "Bearer k",
          body: { hello: "world" },
          path: "/fn?q=a%20b",
        });
        const [answer] = await engine.db.query<{ status_code: number; content: string; timed_out: boolean }>(
          `select status_code, content, timed_out from net._http_response where id = $1::bigint`,
          [id],
        );
        assert.deepEqual(answer, { status_code: 201, content: '{"ok":true}', timed_out: false });
        const [late] = await engine.db.query<{ timed_out: boolean; error_msg: string }>(
          `select timed_out, error_msg from net._http_response where id = $1::bigint`,
          [slowId],
        );
        assert.deepEqual(late, { timed_out: true, error_msg: "Timeout of 200 ms reached" });
        assert.equal((await engine.db.query(`select 1 from net.http_request_queue`)).length, 0, "the queue is empty");

        await putLocalSecrets(engine.db, { project_url: "http://a", service_role_key: "k1" });
        await putLocalSecrets(engine.db, { project_url: "http://b" });
        assert.deepEqual(
          await engine.db.query(`select name, decrypted_secret from vault.decrypted_secrets order by name`),
          [{ name: "project_url", decrypted_secret: "http://b" }, { name: "service_role_key", decrypted_secret: "k1" }],
        );
        assert.equal(
          (await engine.db.query(`select 1 from vault.secrets where secret = 'k1'`)).length,
          0,
          "not stored as given",
        );
      } finally {
        await net.stop();
        await engine.stop();
        await target.shutdown();
      }
    },
  });
}
