/**
 * functions/_shared/errors.ts: HttpError bodies, JSON answers with CORS, errors answered (a generic
 * 500 for anything but an HttpError, logged) and the `endpoint` frame (preflight, 405, errors).
 */
import assert from "node:assert/strict";
import { endpoint, errorResponse, HttpError, json } from "../../functions/_shared/errors.ts";
import { quiet } from "../helpers/console.ts";

Deno.test("errors: an HttpError's body has its message, code, details, hint and extra fields", () => {
  const e = new HttpError(409, "Already there", { code: "PT409", details: "chat 1", hint: "reload", extra: { id: 1 } });
  assert.deepEqual(e.body, { error: "Already there", code: "PT409", details: "chat 1", hint: "reload", id: 1 });
  assert.deepEqual(new HttpError(400, "Bad", { details: null, hint: null }).body, { error: "Bad" });
  assert.equal(e.status, 409);
  assert.ok(e instanceof Error);
});

Deno.test("errors: json answers carry the CORS headers and extra headers", async () => {
  const res = json(201, { ok: true }, { "X-Thing": "1" });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("x-thing"), "1");
  assert.deepEqual(await res.json(), { ok: true });
});

Deno.test("errors: an HttpError is answered as it says; anything else is logged and a generic 500", async () => {
  const { value: user, logged: quietLog } = await quiet(() =>
    errorResponse(new HttpError(429, "Slow down", { headers: { "Retry-After": "3" } }))
  );
  assert.equal(user.status, 429);
  assert.equal(user.headers.get("retry-after"), "3");
  assert.equal(user.headers.get("access-control-allow-origin"), "*");
  assert.deepEqual(await user.json(), { error: "Slow down" });
  assert.deepEqual(quietLog, [], "a 4xx is not logged");

  const { value: bug, logged } = await quiet(() => errorResponse(new TypeError("x is undefined, secret=42")));
  assert.equal(bug.status, 500);
  assert.deepEqual(await bug.json(), { error: "Internal error" }, "nothing of the bug reaches the caller");
  assert.match(logged.join("\n"), /x is undefined, secret=42/);

  const { value: outage, logged: outageLog } = await quiet(() =>
    errorResponse(new HttpError(503, "Try again shortly", { cause: new Error("connection refused") }))
  );
  assert.equal(outage.status, 503);
  assert.deepEqual(await outage.json(), { error: "Try again shortly" });
  assert.match(
    outageLog.join("\n"),
    /503 Try again shortly.*connection refused/s,
    "a 5xx HttpError is logged with its cause",
  );
});

Deno.test("errors: endpoint answers preflights, refuses other methods with 405 and Allow, and turns throws into answers", async () => {
  const handler = endpoint((req) => {
    const what = new URL(req.url).searchParams.get("throw");
    if (what === "user") throw new HttpError(404, "No such thing", { code: "PT404" });
    if (what === "bug") throw new Error("boom");
    return json(200, { method: req.method });
  }, { methods: ["get", "POST"] });

  const preflight = await handler(new Request("http://fn/x", { method: "OPTIONS" }));
  assert.equal(preflight.status, 200);
  assert.match(preflight.headers.get("access-control-allow-headers")!, /authorization/);
  await preflight.body?.cancel();

  const put = await handler(new Request("http://fn/x", { method: "PUT" }));
  assert.equal(put.status, 405);
  assert.equal(put.headers.get("allow"), "GET, POST, OPTIONS");
  assert.deepEqual(await put.json(), { error: "Method PUT is not allowed: use GET or POST" });

  assert.deepEqual(await (await handler(new Request("http://fn/x", { method: "POST" }))).json(), { method: "POST" });
  const missing = await handler(new Request("http://fn/x?throw=user"));
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: "No such thing", code: "PT404" });
  const { value: bug } = await quiet(() => handler(new Request("http://fn/x?throw=bug")));
  assert.equal(bug.status, 500);
  assert.equal(bug.headers.get("access-control-allow-origin"), "*");
  assert.deepEqual(await bug.json(), { error: "Internal error" });

  const any = endpoint(() => json(200, {}));
  const del = await any(new Request("http://fn/x", { method: "DELETE" }));
  assert.equal(del.status, 200, "without methods, every method is served");
  await del.body?.cancel();
});
