/**
 * files-janitor: removes queued objects through the Storage API (rows and files), service role only;
 * retries a failing Storage call with backoff and reports what failed; and a janitor killed halfway
 * (its own process, SIGKILL right after the Storage API removed a first batch) leaves, once run
 * again, no object behind and deletes none twice: the objects it had removed are settled without
 * another call, and a new file uploaded at one of their paths meanwhile is kept.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { rpcOk, signedInUser, stackFixture, stackTest, stopStackAfterTests, testEngines } from "../e2e/_stack.ts";
import { makeFilesJanitor } from "../../functions/files-janitor/handler.ts";
import { quiet } from "../helpers/console.ts";
import { BIN, ROOT } from "../../stack/paths.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** A proxy in front of the gateway that counts (and can fail) Storage removals. */
function countingProxy(target: string, failFirst = 0) {
  const removals: string[] = [];
  let failures = failFirst;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method === "DELETE" && url.pathname.startsWith("/storage/v1/object/")) {
      const body = await req.text();
      removals.push(...(JSON.parse(body).prefixes as string[]));
      if (failures > 0) {
        failures--;
        return new Response(JSON.stringify({ statusCode: "500", error: "Internal", message: "Storage is down" }), {
          status: 500,
          headers: { "content-type": "application/json" },
        });
      }
      return await fetch(
        new Request(target + url.pathname + url.search, { method: "DELETE", headers: req.headers, body }),
      );
    }
    return await fetch(new Request(target + url.pathname + url.search, req));
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, removals, stop: () => server.shutdown() };
}

const post = (key: string, body: unknown = {}) =>
  new Request("http://functions/files-janitor", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

for (const kind of testEngines()) {
  const stack = stackFixture(kind);
  stopStackAfterTests(stack);

  stackTest(
    stack,
    "files-janitor: removes queued objects, service role only, retrying Storage with backoff",
    async (s) => {
      const alice = await signedInUser(s, "janitor");
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const up = await alice.supabase.storage.from("attachments").upload(`${alice.id}/f${n}.txt`, `file ${n}`, {
          contentType: "text/plain",
        });
        ids.push(up.data!.id);
      }
      for (const id of ids) await rpcOk(alice.supabase, "delete_attachment", { attachment_id: id });
      const env = { url: s.url, anonKey: s.anonKey, serviceRoleKey: s.serviceRoleKey };

      const asUser = await makeFilesJanitor(env).fetch(post(alice.session.access_token));
      assert.equal(asUser.status, 403);

      // Storage fails twice, then answers: retried within the run, with backoff
      const proxy = countingProxy(s.url, 2);
      const waits: number[] = [];
      try {
        const { value: res } = await quiet(() =>
          makeFilesJanitor({ ...env, url: proxy.url }, { sleep: (ms) => Promise.resolve(void waits.push(ms)) }).fetch(
            post(s.serviceRoleKey),
          )
        );
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(body.completed.length, 3);
        assert.deepEqual(body.failed, []);
        assert.deepEqual(waits, [250, 500], "two retries, the wait doubling");
      } finally {
        await proxy.stop();
      }
      const left = await s.engine.db.query("select 1 from storage.objects where id = any($1::uuid[])", [ids]);
      assert.equal(left.length, 0, "the objects are gone");
      const files = [...Deno.readDirSync(s.gateway.storageDir)].filter((e) => e.isDirectory && e.name !== "tmp")
        .flatMap((d) => [...Deno.readDirSync(join(s.gateway.storageDir, d.name))]);
      assert.equal(files.length, 0, "and so are their files");
      const jobs = await s.engine.db.query<{ status: string; result: string }>(
        "select status, result from public.file_deletion_jobs where owner_id = $1",
        [alice.id],
      );
      assert.deepEqual(jobs.map((j) => [j.status, j.result]), [["done", "deleted"], ["done", "deleted"], [
        "done",
        "deleted",
      ]]);

      // Storage keeps failing: the run reports the jobs, retried later
      for (const n of [4]) {
        const up = await alice.supabase.storage.from("attachments").upload(`${alice.id}/f${n}.txt`, "x", {
          contentType: "text/plain",
        });
        await rpcOk(alice.supabase, "delete_attachment", { attachment_id: up.data!.id });
      }
      const broken = countingProxy(s.url, 100);
      try {
        const { value: res } = await quiet(() =>
          makeFilesJanitor({ ...env, url: broken.url }, { sleep: () => Promise.resolve() }).fetch(
            post(s.serviceRoleKey),
          )
        );
        assert.equal(res.status, 207);
        const body = await res.json();
        assert.equal(body.failed.length, 1);
        assert.equal(body.failed[0].retryable, true);
        assert.equal(broken.removals.length, 3, "three tries");
      } finally {
        await broken.stop();
      }
      const [retry] = await s.engine.db.query<{ status: string; last_error: string }>(
        "select status, last_error from public.file_deletion_jobs where object_name like '%/f4.txt'",
      );
      assert.deepEqual([retry.status, retry.last_error], ["pending", "Storage is down"]);
    },
  );

  stackTest(
    stack,
    "files-janitor: killed halfway, then run again: no object left behind, none deleted twice",
    async (s) => {
      const alice = await signedInUser(s, "janitor-killed");
      const paths: Record<string, string[]> = { attachments: [], audio: [] };
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const a = await alice.supabase.storage.from("attachments").upload(`${alice.id}/k${n}.txt`, `text ${n}`, {
          contentType: "text/plain",
        });
        const b = await alice.supabase.storage.from("audio").upload(`${alice.id}/k${n}.m4a`, `audio ${n}`, {
          contentType: "audio/mp4",
        });
        ids.push(a.data!.id, b.data!.id);
        paths.attachments.push(`${alice.id}/k${n}.txt`);
        paths.audio.push(`${alice.id}/k${n}.m4a`);
      }
      // queued attachments first, so they are the first batch (one Storage call per bucket)
      for (const id of ids.filter((_, i) => i % 2 === 0)) {
        await rpcOk(alice.supabase, "delete_attachment", { attachment_id: id });
      }
      for (const id of ids.filter((_, i) => i % 2 === 1)) {
        await rpcOk(alice.supabase, "delete_attachment", { attachment_id: id });
      }
      // other stacks' jobs must not get in the way: only this user's are due
      await s.engine.db.query(
        "update public.file_deletion_jobs set not_before = 'infinity' where owner_id <> $1 and status = 'pending'",
        [alice.id],
      );

      const child = await new Deno.Command(join(BIN, "deno"), {
        args: ["run", "-A", "--quiet", join(ROOT, "tests", "helpers", "killed-janitor.ts")],
        cwd: ROOT,
        env: { SUPABASE_URL: s.url, SUPABASE_ANON_KEY: s.anonKey, SUPABASE_SERVICE_ROLE_KEY: s.serviceRoleKey },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(
        child.signal,
        "SIGKILL",
        new TextDecoder().decode(child.stdout) + new TextDecoder().decode(child.stderr),
      );

      const state = async () =>
        await s.engine.db.query<{ bucket_id: string; status: string; gone: boolean }>(
          `select j.bucket_id, j.status, not exists (select 1 from storage.objects o where o.id = j.object_id) as gone
         from public.file_deletion_jobs j where j.owner_id = $1 order by j.bucket_id, j.object_name`,
          [alice.id],
        );
      assert.deepEqual((await state()).map((r) => [r.bucket_id, r.status, r.gone]), [
        ["attachments", "running", true],
        ["attachments", "running", true],
        ["attachments", "running", true],
        ["audio", "running", false],
        ["audio", "running", false],
        ["audio", "running", false],
      ], "killed after removing the first batch, before reporting anything");

      // meanwhile, a new file at one of the removed paths
      const fresh = await alice.supabase.storage.from("attachments").upload(paths.attachments[0], "new content", {
        contentType: "text/plain",
      });
      assert.equal(fresh.error, null);
      // the dead janitor's lease runs out
      await s.engine.db.query(
        "update public.file_deletion_jobs set lease_expires_at = now() - interval '1 second' where owner_id = $1",
        [alice.id],
      );

      const proxy = countingProxy(s.url);
      try {
        const res = await makeFilesJanitor({ url: proxy.url, anonKey: s.anonKey, serviceRoleKey: s.serviceRoleKey })
          .fetch(post(s.serviceRoleKey));
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.deepEqual(body.failed, []);
      } finally {
        await proxy.stop();
      }
      assert.deepEqual(proxy.removals.sort(), [...paths.audio].sort(), "only the objects not yet removed are removed");
      const after = await state();
      assert.deepEqual(after.map((r) => [r.bucket_id, r.status, r.gone]), [
        ["attachments", "done", true],
        ["attachments", "done", true],
        ["attachments", "done", true],
        ["audio", "done", true],
        ["audio", "done", true],
        ["audio", "done", true],
      ], "no object is left behind");
      const kept = await alice.supabase.storage.from("attachments").download(paths.attachments[0]);
      assert.equal(await kept.data?.text(), "new content", "the new file at a removed path is kept");
      const results = await s.engine.db.query<{ result: string; n: number }>(
        "select result, count(*)::int as n from public.file_deletion_jobs where owner_id = $1 group by 1 order by 1",
        [alice.id],
      );
      assert.deepEqual(results.map((r) => [r.result, r.n]), [["already_gone", 3], ["deleted", 3]]);
    },
  );
}
