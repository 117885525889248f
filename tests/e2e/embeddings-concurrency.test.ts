/**
 * The embedding queue under real concurrency (native Postgres; PGlite has one backend): eight
 * workers, each on its own connection as the service role, claim and complete batches at once until
 * the queue is empty: every job is claimed exactly once and done, and a burst of concurrent edits of
 * one entry leaves one pending job.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { startTestStack, testEngines } from "./_stack.ts";

const slow = { sanitizeOps: false, sanitizeResources: false };

if (testEngines().includes("native")) {
  Deno.test({
    name: "native: eight workers claim at once: every job once; concurrent edits leave one pending job",
    ...slow,
    async fn() {
      const stack = await startTestStack("native");
      const admin = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
      const workers = Array.from({ length: 8 }, () => postgres(stack.dbUrl, { max: 1, onnotice: () => {} }));
      try {
        await admin.unsafe(`
          insert into auth.users (id, email) values ('e0000000-0000-4000-8000-0000000000aa', 'queue@example.test');
          insert into public.entries (user_id, facets, title)
          select 'e0000000-0000-4000-8000-0000000000aa', '{note}', 'Entry ' || g from generate_series(1, 400) g;`)
          .simple();
        const [{ n: pending }] = await admin.unsafe<{ n: number }[]>(
          `select count(*)::int as n from private.embedding_jobs where state = 'pending'`,
        );
        assert.equal(pending, 400);
        const claims = new Map<number, number>();
        await Promise.all(workers.map(async (sql) => {
          await sql.unsafe(`select set_config('role', 'service_role', false),
            set_config('request.jwt.claims', '{"role": "service_role"}', false)`);
          for (;;) {
            const rows = await sql.unsafe<{ job_id: number; lease_token: string }[]>(
              `select job_id::int, lease_token::text from public.service_role_claim_embedding_jobs('use-lite', 7, 300)`,
            );
            if (rows.length === 0) break;
            for (const r of rows) claims.set(r.job_id, (claims.get(r.job_id) ?? 0) + 1);
            await sql.unsafe(`select * from public.service_role_complete_embedding_jobs($1::text::jsonb)`, [
              JSON.stringify(rows.map((r) => ({ job_id: r.job_id, lease_token: r.lease_token }))),
            ]);
          }
        }));
        assert.equal(claims.size, 400, "every job claimed");
        assert.deepEqual([...new Set(claims.values())], [1], "none twice");
        const [{ done }] = await admin.unsafe<{ done: number }[]>(
          `select count(*)::int as done from private.embedding_jobs where state = 'done'`,
        );
        assert.equal(done, 400);

        // eight edits of one entry at once: one pending job
        const [{ id }] = await admin.unsafe<{ id: string }[]>(`select id::text from public.entries limit 1`);
        await Promise.all(
          workers.map((sql, i) =>
            sql.unsafe(`update public.entries set body_markdown = 'edit ${i}' where id = $1`, [id])
          ),
        );
        const [{ n }] = await admin.unsafe<{ n: number }[]>(
          `select count(*)::int as n from private.embedding_jobs where source_id = $1 and state = 'pending'`,
          [id],
        );
        assert.equal(n, 1);
      } finally {
        await Promise.all(workers.map((sql) => sql.end()));
        await admin.end();
        await stack.stop();
      }
    },
  });
}
