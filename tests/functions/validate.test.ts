/**
 * functions/_shared/validate.ts: zod validation answering 400 with every issue (field path,
 * message, zod's code); JSON bodies, query strings, and the issue helpers for other boundaries.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { endpoint, json } from "../../functions/_shared/errors.ts";
import {
  describeIssues,
  issuesOf,
  readJson,
  readQuery,
  validate,
  ValidationError,
} from "../../functions/_shared/validate.ts";

const Body = z.object({
  chat_id: z.uuid(),
  content: z.string().min(1),
  parts: z.array(z.object({ text: z.string() })).default([]),
});

const post = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Request("http://fn/chat", { method: "POST", body, headers });

const handler = endpoint(async (req) => json(200, await readJson(req, Body)));

Deno.test("validate: a valid body is parsed (defaults applied)", async () => {
  const chat_id = crypto.randomUUID();
  const res = await handler(post(JSON.stringify({ chat_id, content: "hi", extra: 1 })));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { chat_id, content: "hi", parts: [] });
});

Deno.test("validate: an invalid body answers 400 with every issue's path and message", async () => {
  const res = await handler(post(JSON.stringify({ chat_id: "nope", content: "", parts: [{ text: 1 }] })));
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.code, "INVALID_REQUEST");
  assert.deepEqual(body.issues.map((i: { path: unknown }) => i.path), [["chat_id"], ["content"], ["parts", 0, "text"]]);
  assert.deepEqual(body.issues.map((i: { code: string }) => i.code), ["invalid_format", "too_small", "invalid_type"]);
  for (const issue of body.issues) assert.ok(issue.message.length > 0);
  assert.equal(
    body.error,
    `Invalid request body: ${
      body.issues.map((i: { path: unknown[]; message: string }) => `${i.path.join(".")}: ${i.message}`).join("; ")
    }`,
  );
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
});

Deno.test("validate: a body that is not JSON is a 400 INVALID_JSON; an empty one is for the schema to judge", async () => {
  const broken = await handler(post("{ not json"));
  assert.equal(broken.status, 400);
  assert.deepEqual(await broken.json(), { error: "The request body is not valid JSON", code: "INVALID_JSON" });

  const empty = await handler(post(""));
  assert.equal(empty.status, 400);
  const issues = (await empty.json()).issues;
  assert.deepEqual(issues.map((i: { path: unknown }) => i.path), [[]], "the body itself is missing");

  const optional = endpoint(async (req) =>
    json(200, await readJson(req, z.object({ n: z.number() }).default({ n: 1 })))
  );
  assert.deepEqual(await (await optional(post(""))).json(), { n: 1 });
});

Deno.test("validate: async refinements run", async () => {
  const known = new Set(["a"]);
  const schema = z.object({
    name: z.string().refine(async (n) => await Promise.resolve(known.has(n)), "unknown name"),
  });
  const ok = endpoint(async (req) => json(200, await readJson(req, schema)));
  assert.equal((await ok(post(JSON.stringify({ name: "a" })))).status, 200);
  const refused = await ok(post(JSON.stringify({ name: "b" })));
  assert.equal(refused.status, 400);
  assert.deepEqual((await refused.json()).issues, [{ path: ["name"], message: "unknown name", code: "custom" }]);
});

Deno.test("validate: query strings (a repeated key is an array; coerce numbers)", () => {
  const schema = z.object({
    q: z.string(),
    limit: z.coerce.number().int().max(50).default(10),
    source: z.array(z.string()).or(z.string().transform((s) => [s])).optional(),
  });
  assert.deepEqual(readQuery(new Request("http://fn/search?q=knee&source=entries&source=messages"), schema), {
    q: "knee",
    limit: 10,
    source: ["entries", "messages"],
  });
  assert.deepEqual(readQuery(new Request("http://fn/search?q=x&limit=5&source=entries"), schema), {
    q: "x",
    limit: 5,
    source: ["entries"],
  });
  assert.throws(
    () => readQuery(new Request("http://fn/search?limit=500"), schema),
    (e) =>
      e instanceof ValidationError && e.status === 400 && e.message.startsWith("Invalid query: q: ") &&
      e.issues.map((i) => i.path.join(".")).join(",") === "q,limit",
  );
});

Deno.test("validate: validate() and the issue helpers serve other boundaries", () => {
  const Vector = z.array(z.number().finite()).length(3);
  assert.deepEqual(validate(Vector, [1, 2, 3]), [1, 2, 3]);
  assert.throws(() => validate(Vector, [1, 2], "embedding"), /^ValidationError: Invalid embedding: /);
  const result = Vector.safeParse([1, Number.NaN, 3]);
  assert.ok(!result.success);
  const issues = issuesOf(result.error);
  assert.deepEqual(issues.map((i) => i.path), [[1]]);
  assert.match(describeIssues(issues), /^1: /);
  assert.equal(describeIssues([{ path: [], message: "Required", code: "invalid_type" }]), "Required");
});
