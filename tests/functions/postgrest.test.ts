/**
 * functions/_shared/postgrest.ts: one mapping from PostgREST errors to a function's answers.
 * The status table mirrors the gateway's (stack/gateway/errors.ts); the mapping is checked on
 * error objects as supabase-js returns them, and on real errors from a stack on every engine.
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { HttpError } from "../../functions/_shared/errors.ts";
import { fromPostgrestError, postgrestStatus, unwrap } from "../../functions/_shared/postgrest.ts";
import { userClient } from "../../functions/_shared/supabase.ts";
import { statusForSqlState } from "../../stack/gateway/errors.ts";
import { signedInUser, startTestStack, testEngines } from "../e2e/_stack.ts";

Deno.test("postgrest: the status of every SQLSTATE is the gateway's (PostgREST's table)", () => {
  const codes = [
    "08000",
    "08006",
    "09000",
    "0L000",
    "0P000",
    "22001",
    "22023",
    "22P02",
    "23502",
    "23503",
    "23505",
    "23514",
    "25006",
    "25P02",
    "28000",
    "28P01",
    "2D000",
    "38000",
    "39000",
    "3B000",
    "40001",
    "40P01",
    "42501",
    "42601",
    "42703",
    "42883",
    "42P01",
    "42P17",
    "53000",
    "53100",
    "53200",
    "53300",
    "53400",
    "54000",
    "55000",
    "55P03",
    "57014",
    "57P01",
    "57P02",
    "58000",
    "F0000",
    "HV000",
    "P0001",
    "P0002",
    "XX000",
    "PT400",
    "PT404",
    "PT409",
    "PT422",
    "PT999",
  ];
  for (const code of codes) {
    for (const anonymous of [false, true]) {
      assert.equal(postgrestStatus(code, anonymous), statusForSqlState(code, !anonymous), `${code} anon=${anonymous}`);
    }
  }
  assert.equal(postgrestStatus("PGRST116"), 406);
  assert.equal(postgrestStatus("PGRST202"), 404);
  assert.equal(postgrestStatus("PGRST301"), 401);
  assert.equal(postgrestStatus("PGRST000"), 503);
  assert.equal(postgrestStatus("PGRST003"), 504);
  assert.equal(postgrestStatus("PGRST100"), 400);
});

/** The answer fromPostgrestError gives: status and body, or "internal" for a logged 500. */
function answer(
  error: { code: string; message: string; details?: string | null; hint?: string | null },
  status?: number,
) {
  const e = fromPostgrestError({ details: null, hint: null, ...error }, status, "rpc test");
  return e instanceof HttpError ? { status: e.status, body: e.body } : "internal";
}

Deno.test("postgrest: the caller's errors answer 4xx with the database's message, code, details and hint", () => {
  assert.deepEqual(answer({ code: "PT404", message: "chat not found" }, 404), {
    status: 404,
    body: { error: "chat not found", code: "PT404" },
  });
  assert.deepEqual(answer({ code: "22023", message: "timezone bad", hint: "Use an IANA name" }, 400), {
    status: 400,
    body: { error: "timezone bad", code: "22023", hint: "Use an IANA name" },
  });
  assert.deepEqual(answer({ code: "23505", message: "dup", details: "Key (x)=(1) exists." }, 409), {
    status: 409,
    body: { error: "dup", code: "23505", details: "Key (x)=(1) exists." },
  });
  assert.deepEqual(answer({ code: "P0001", message: "nope" }, 400), {
    status: 400,
    body: { error: "nope", code: "P0001" },
  });
  assert.deepEqual(answer({ code: "PT409", message: "version moved" }, 409), {
    status: 409,
    body: { error: "version moved", code: "PT409" },
  });
  assert.deepEqual(
    answer({ code: "PGRST116", message: "JSON object requested, multiple (or no) rows returned" }, 406),
    {
      status: 406,
      body: { error: "JSON object requested, multiple (or no) rows returned", code: "PGRST116" },
    },
  );
  assert.deepEqual(answer({ code: "PGRST301", message: "JWT expired" }, 401), {
    status: 401,
    body: { error: "JWT expired", code: "PGRST301" },
  });
});

Deno.test("postgrest: 42501 is 401 'Sign in first' for anon (PostgREST's 401), else 403 with the message", () => {
  assert.deepEqual(answer({ code: "42501", message: "permission denied for function get_my_profile" }, 401), {
    status: 401,
    body: { error: "Sign in first", code: "42501" },
  });
  assert.deepEqual(answer({ code: "42501", message: "only the owner can share this chat" }, 403), {
    status: 403,
    body: { error: "only the owner can share this chat", code: "42501" },
  });
  assert.deepEqual(answer({ code: "42501", message: "no" }), { status: 403, body: { error: "no", code: "42501" } });
});

Deno.test("postgrest: without a status the code decides, as PostgREST would have", () => {
  assert.deepEqual(answer({ code: "PT404", message: "gone" }), { status: 404, body: { error: "gone", code: "PT404" } });
  assert.deepEqual(answer({ code: "22P02", message: "invalid input syntax for type uuid" }), {
    status: 400,
    body: { error: "invalid input syntax for type uuid", code: "22P02" },
  });
  assert.equal(answer({ code: "XX000", message: "internal" }), "internal");
});

Deno.test("postgrest: the database unavailable or too slow answers 503/504 with a generic message", () => {
  assert.deepEqual(answer({ code: "PGRST000", message: "Could not connect with the database" }, 503), {
    status: 503,
    body: { error: "The database is unavailable; try again shortly", code: "PGRST000" },
  });
  assert.deepEqual(answer({ code: "08006", message: "connection failure at 10.0.0.3" }), {
    status: 503,
    body: { error: "The database is unavailable; try again shortly", code: "08006" },
  });
  assert.deepEqual(answer({ code: "57014", message: "canceling statement due to statement timeout" }, 504), {
    status: 504,
    body: { error: "The database did not answer in time", code: "57014" },
  });
});

Deno.test("postgrest: the function's own mistakes and server errors are internal (logged, generic 500)", () => {
  assert.equal(answer({ code: "PGRST202", message: "Could not find the function public.nope" }, 404), "internal");
  assert.equal(answer({ code: "PGRST203", message: "Could not choose the best candidate function" }, 300), "internal");
  assert.equal(answer({ code: "PGRST100", message: "bad select" }, 400), "internal");
  assert.equal(answer({ code: "42883", message: "function x does not exist" }, 404), "internal");
  assert.equal(answer({ code: "42703", message: "column x does not exist" }, 400), "internal");
  assert.equal(answer({ code: "P0002", message: "no data" }, 500), "internal");
  assert.equal(
    answer({ code: "", message: "TypeError: fetch failed" }, 0),
    "internal",
    "supabase-js's network failure",
  );

  const e = fromPostgrestError(
    { code: "PGRST202", message: "Could not find the function", details: "Searched for x", hint: "Perhaps y" },
    404,
    "rpc nope",
  );
  assert.ok(!(e instanceof HttpError));
  assert.equal(e.message, "rpc nope 404 PGRST202 Could not find the function details: Searched for x hint: Perhaps y");
});

Deno.test("postgrest: unwrap returns the data or throws the mapped error", () => {
  assert.deepEqual(unwrap({ data: { id: 1 }, error: null, status: 200 }), { id: 1 });
  assert.equal(unwrap({ data: null, error: null, status: 204 }), null);
  assert.throws(
    () =>
      unwrap({
        data: null,
        error: { code: "PT404", message: "chat not found", details: null, hint: null },
        status: 404,
      }),
    (e) => e instanceof HttpError && e.status === 404 && e.message === "chat not found",
  );
});

const slow = { sanitizeOps: false, sanitizeResources: false };

for (const kind of testEngines()) {
  Deno.test({
    name: `${kind}: postgrest: real errors through supabase-js map as documented`,
    ...slow,
    async fn() {
      const stack = await startTestStack(kind);
      try {
        const env = { url: stack.url, anonKey: stack.anonKey, serviceRoleKey: stack.serviceRoleKey };
        const user = await signedInUser(stack, "mapper");
        const supabase = userClient(env, `Bearer ${user.session.access_token}`);
        const caught = (fn: () => unknown) => {
          try {
            fn();
          } catch (e) {
            return e instanceof HttpError ? { status: e.status, body: e.body } : "internal";
          }
          return "no error";
        };

        const badZone = await supabase.rpc("update_my_profile", { timezone: "Mars/Olympus" });
        assert.deepEqual(caught(() => unwrap(badZone)), {
          status: 400,
          body: {
            error: "timezone 'Mars/Olympus' is not a known time zone",
            code: "22023",
            hint: "Use an IANA time zone name such as Europe/Paris.",
          },
        });

        const noChat = await supabase.rpc("get_messages", { chat_id: crypto.randomUUID() });
        const missing = caught(() => unwrap(noChat));
        assert.ok(
          typeof missing === "object" && missing.status === 404 && missing.body.code === "PT404",
          JSON.stringify(missing),
        );

        const none = await supabase.rpc("list_chats").single();
        assert.deepEqual(caught(() => unwrap(none)), {
          status: 406,
          body: {
            error: "Cannot coerce the result to a single JSON object",
            code: "PGRST116",
            details: "The result contains 0 rows",
          },
        });

        const anon = createClient(stack.url, stack.anonKey, { auth: { persistSession: false } });
        const anonProfile = await anon.rpc("get_my_profile");
        assert.deepEqual(caught(() => unwrap(anonProfile)), {
          status: 401,
          body: { error: "Sign in first", code: "42501" },
        });

        // deno-lint-ignore no-explicit-any
        const unknown = await (supabase as any).rpc("no_such_function");
        assert.equal(unknown.error.code, "PGRST202");
        assert.equal(caught(() => unwrap(unknown)), "internal");

        const offline = await userClient({ ...env, url: "http://127.0.0.1:9" }, "Bearer x").rpc("get_my_profile");
        assert.equal(offline.status, 0);
        assert.equal(caught(() => unwrap(offline)), "internal");
      } finally {
        await stack.stop();
      }
    },
  });
}
