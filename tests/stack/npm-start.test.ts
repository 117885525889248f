/**
 * `npm start` as a developer uses it: it prints the API URL, both keys, the database URL and the
 * demo login, and a supabase-js client pointed at what it printed signs in, calls RPCs and invokes
 * functions. The keys survive a restart. (PGlite, the default engine; the gateway's behaviour on
 * native Postgres is covered by the other gateway tests.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createClient } from "@supabase/supabase-js";
import { BIN, freePort, ROOT } from "../../stack/paths.ts";
import { decodeJwt } from "../../stack/gateway/jwt.ts";

interface Printed {
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  dbUrl: string;
  demo: { email: string; password: string };
}

async function start(dataDir: string, apiPort: number, dbPort: number) {
  const child = new Deno.Command(join(BIN, "deno"), {
    args: ["run", "-A", "stack/cli/main.ts", "--port", String(apiPort), "--db-port", String(dbPort)],
    cwd: ROOT,
    env: { PARLEY_DATA_DIR: dataDir, PARLEY_ENGINE: "pglite", DATABASE_URL: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 180_000);
  while (!output.includes("Press Ctrl-C")) {
    const { value, done } = await reader.read();
    if (done) {
      clearTimeout(deadline);
      throw new Error(`npm start ended early:\n${output}\n${await stderr}`);
    }
    output += value;
  }
  clearTimeout(deadline);
  // keep draining what it prints while it runs
  const rest = (async () => {
    while (!(await reader.read()).done) { /* logs */ }
  })();
  const field = (label: string) => {
    const m = new RegExp(`^\\s+${label}\\s+(\\S+)`, "m").exec(output);
    assert.ok(m, `npm start prints ${label}:\n${output}`);
    return m[1];
  };
  const demo = /Demo login\s+(\S+) \/ (\S+)/.exec(output);
  const printed: Printed = {
    apiUrl: field("API URL"),
    anonKey: field("anon key"),
    serviceRoleKey: field("service_role key"),
    dbUrl: field("Database URL"),
    demo: { email: demo?.[1] ?? "", password: demo?.[2] ?? "" },
  };
  const stop = async () => {
    child.kill("SIGTERM");
    const status = await child.status;
    await rest;
    await stderr;
    return status;
  };
  return { printed, output, stop };
}

Deno.test({
  name: "npm start prints what a client needs, and supabase-js works against it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "parley-start-" });
    const apiPort = freePort();
    const dbPort = freePort();
    try {
      let running = await start(dataDir, apiPort, dbPort);
      const { printed } = running;
      try {
        assert.equal(printed.apiUrl, `http://127.0.0.1:${apiPort}`);
        assert.equal(decodeJwt(printed.anonKey).role, "anon");
        assert.equal(decodeJwt(printed.serviceRoleKey).role, "service_role");
        assert.match(printed.dbUrl, new RegExp(`^postgresql://postgres:postgres@127\\.0\\.0\\.1:${dbPort}/postgres`));
        assert.deepEqual(printed.demo, { email: "demo@parley.local", password: "parley-demo-password" });

        const supabase = createClient(printed.apiUrl, printed.anonKey, {
          auth: { persistSession: false, autoRefreshToken: false },
        });
        const signIn = await supabase.auth.signInWithPassword(printed.demo);
        assert.equal(signIn.error, null);
        const profile = await supabase.rpc("get_my_profile");
        assert.equal(profile.data.display_name, "Demo User");
        const invoked = await supabase.functions.invoke("whoami");
        assert.equal(invoked.error, null);
        assert.equal(invoked.data.profile.id, signIn.data.user!.id);
        const signUp = await createClient(printed.apiUrl, printed.anonKey, { auth: { persistSession: false } })
          .auth.signUp({ email: "new@example.test", password: "a long enough password" });
        assert.equal(signUp.error, null);
      } finally {
        const status = await running.stop();
        assert.equal(status.code, 0);
      }

      running = await start(dataDir, apiPort, dbPort);
      try {
        assert.equal(running.printed.anonKey, printed.anonKey, "the keys survive a restart");
        assert.equal(running.printed.serviceRoleKey, printed.serviceRoleKey);
        const supabase = createClient(running.printed.apiUrl, running.printed.anonKey, {
          auth: { persistSession: false, autoRefreshToken: false },
        });
        const again = await supabase.auth.signInWithPassword({
          email: "new@example.test",
          password: "a long enough password",
        });
        assert.equal(again.error, null, "and so does the data");
      } finally {
        await running.stop();
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
