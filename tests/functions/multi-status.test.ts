/**
 * functions/_shared/multi-status.ts: per-item results of batch workers; 200 when nothing failed,
 * 207 Multi-Status when anything did.
 */
import assert from "node:assert/strict";
import { HttpError } from "../../functions/_shared/errors.ts";
import { Batch, multiStatus } from "../../functions/_shared/multi-status.ts";
import { quiet } from "../helpers/console.ts";

Deno.test("multi-status: all done is 200, with the completed list and an empty failed one", async () => {
  const batch = new Batch<number>();
  batch.complete(1, 2);
  batch.complete(3);
  assert.equal(batch.status, 200);
  const res = batch.response({ model: "local-use" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.deepEqual(await res.json(), { model: "local-use", completed: [1, 2, 3], failed: [] });
  const empty = new Batch().response();
  assert.equal(empty.status, 200, "an empty batch did nothing wrong");
  await empty.body?.cancel();
});

Deno.test("multi-status: any failure is 207 with each failed item's error, code and retryability", async () => {
  const { value: res, logged } = await quiet(() => {
    const batch = new Batch();
    batch.complete("job-1");
    batch.fail("job-2", new Error("expected 512 dimensions, got 3"), { retryable: false });
    batch.fail(["job-3", "job-4"], new HttpError(502, "The model provider failed", { code: "PROVIDER_ERROR" }), {
      retryable: true,
    });
    batch.fail("job-5", "no text to embed");
    return batch.response();
  });
  assert.equal(res.status, 207);
  assert.deepEqual(await res.json(), {
    completed: ["job-1"],
    failed: [
      { id: "job-2", error: "expected 512 dimensions, got 3", retryable: false },
      { id: "job-3", error: "The model provider failed", code: "PROVIDER_ERROR", retryable: true },
      { id: "job-4", error: "The model provider failed", code: "PROVIDER_ERROR", retryable: true },
      { id: "job-5", error: "no text to embed" },
    ],
  });
  assert.equal(logged.length, 3, "each failure is logged");

  const allFailed = await quiet(() => {
    const b = new Batch();
    b.fail("x", new Error("down"));
    return b.status;
  });
  assert.equal(allFailed.value, 207, "all failed is still per-item results");
});

Deno.test("multi-status: run() records each item by what its work did, and never throws", async () => {
  const batch = new Batch();
  const { logged } = await quiet(async () => {
    const values = await Promise.all([
      batch.run("a", () => Promise.resolve(1)),
      batch.run("b", () => Promise.reject(new Error("lost"))),
      batch.run("c", () => Promise.resolve(3), { retryable: true }),
    ]);
    assert.deepEqual(values, [1, undefined, 3]);
  });
  assert.deepEqual(batch.toJSON(), { completed: ["a", "c"], failed: [{ id: "b", error: "lost" }] });
  assert.match(logged[0], /lost/);
  const res = multiStatus({ completed: [], failed: [{ id: 9, error: "x" }] });
  assert.equal(res.status, 207);
  await res.body?.cancel();
});
