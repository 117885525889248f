/**
 * The local Storage API's conformance to Supabase Storage, over raw HTTP (what supabase-js hides):
 * error bodies and statuses, routes, JWT handling, multipart and binary uploads, Range, ETag and 304,
 * HEAD, the signed URL token's claims and scopes, and files written atomically under the data folder.
 * On a stack with a test bucket of its own (no policies: the service role writes, RLS refuses users).
 */
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { join } from "node:path";
import { stackFixture, stackTest, stopStackAfterTests, testEngines, type TestStack } from "../e2e/_stack.ts";
import { validateMimeType } from "../../stack/storage/server.ts";
import { StorageError } from "../../stack/storage/errors.ts";
import { FileStore, TooLargeError } from "../../stack/storage/files.ts";

const BUCKET = "conformance";

async function call(s: TestStack, path: string, init: RequestInit & { key?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.key !== "") headers.set("authorization", `Bearer ${init.key ?? s.serviceRoleKey}`);
  const res = await fetch(`${s.url}/storage/v1${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body, text };
}

Deno.test("storage: MIME allowlists match as Storage's validateMimeType does", () => {
  validateMimeType("image/png", ["image/*"]);
  validateMimeType("text/plain;charset=UTF-8", ["text/*"]);
  validateMimeType("application/pdf", ["application/pdf"]);
  for (
    const [type, allowed] of [["image", ["image/*"]], ["video/mp4", ["image/*"]], ["text/plain;charset=UTF-8", [
      "text/plain",
    ]]]
  ) {
    assert.throws(
      () => validateMimeType(type as string, allowed as string[]),
      (e) => e instanceof StorageError && e.code === "InvalidMimeType",
    );
  }
});

Deno.test("storage: the file store writes atomically, stops at the limit, removes idempotently", async () => {
  const root = await Deno.makeTempDir();
  try {
    const store = new FileStore(root);
    const file = await store.writeBytes(new TextEncoder().encode("hello"));
    assert.equal(file.size, 5);
    assert.equal(file.md5, "5d41402abc4b2a76b9719d911017c592");
    assert.equal(await Deno.readTextFile(store.path(file.version)), "hello");
    await assert.rejects(store.writeBytes(new Uint8Array(11), 10), TooLargeError);
    assert.deepEqual([...Deno.readDirSync(join(root, "tmp"))], [], "nothing is left of a refused body");
    const copy = await store.duplicate(file.version);
    await store.remove(file.version);
    await store.remove(file.version);
    assert.equal(await Deno.readTextFile(store.path(copy)), "hello", "a copy outlives its source");
    assert.throws(() => store.path("../../etc/passwd"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

for (const kind of testEngines()) {
  const stack = stackFixture(kind, {
    setup: async (s) => {
      await s.engine.db.query(
        `insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
         values ($1, $1, false, 1000, array['text/*', 'image/png'])`,
        [BUCKET],
      );
    },
  });
  stopStackAfterTests(stack);

  stackTest(stack, "storage API: Storage's error bodies and statuses", async (s) => {
    const missing = await call(s, `/object/${BUCKET}/nothing.txt`);
    assert.deepEqual([missing.status, missing.body], [400, {
      statusCode: "404",
      code: "NoSuchKey",
      error: "not_found",
      message: "Object not found",
    }]);
    const noBucket = await call(s, "/object/nope/a.txt", {
      method: "POST",
      body: "x",
      headers: { "content-type": "text/plain" },
    });
    assert.deepEqual([noBucket.status, noBucket.body], [400, {
      statusCode: "404",
      code: "NoSuchBucket",
      error: "Bucket not found",
      message: "Bucket not found",
    }]);
    const big = await call(s, `/object/${BUCKET}/big.txt`, {
      method: "POST",
      body: "x".repeat(1001),
      headers: { "content-type": "text/plain" },
    });
    assert.deepEqual([big.status, big.body], [400, {
      statusCode: "413",
      code: "EntityTooLarge",
      error: "Payload too large",
      message: "The object exceeded the maximum allowed size",
    }]);
    const type = await call(s, `/object/${BUCKET}/a.gif`, {
      method: "POST",
      body: "GIF",
      headers: { "content-type": "image/gif" },
    });
    assert.deepEqual([type.status, type.body], [400, {
      statusCode: "415",
      code: "InvalidMimeType",
      error: "invalid_mime_type",
      message: "mime type image/gif is not supported",
    }]);
    const key = await call(s, `/object/${BUCKET}/bad%7Bkey%7D.txt`, {
      method: "POST",
      body: "x",
      headers: { "content-type": "text/plain" },
    });
    assert.deepEqual([key.status, (key.body as { code: string }).code], [400, "InvalidKey"]);
    const noJwt = await call(s, `/object/${BUCKET}/a.txt`, { method: "POST", body: "x", key: "" });
    assert.deepEqual([noJwt.status, (noJwt.body as { statusCode: string; code: string }).code], [400, "AccessDenied"]);
    const asAnon = await call(s, `/object/${BUCKET}/a.txt`, {
      method: "POST",
      body: "x",
      key: s.anonKey,
      headers: { "content-type": "text/plain" },
    });
    assert.deepEqual([asAnon.status, asAnon.body], [400, {
      statusCode: "403",
      code: "AccessDenied",
      error: "Unauthorized",
      message: "new row violates row-level security policy",
    }]);
    const route = await call(s, "/nowhere");
    assert.equal(route.status, 404);
    const list = await call(s, `/object/list/${BUCKET}`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.deepEqual([list.status, (list.body as { message: string }).message], [
      400,
      "body must have required property 'prefix'",
    ]);
  });

  stackTest(stack, "storage API: uploads (binary, multipart, upsert), ranges, ETags, HEAD, info", async (s) => {
    const first = await call(s, `/object/${BUCKET}/dir/a.txt`, {
      method: "POST",
      body: "0123456789",
      headers: { "content-type": "text/plain", "cache-control": "max-age=60", "x-metadata": btoa('{"k":"v"}') },
    });
    assert.equal(first.status, 200);
    assert.equal((first.body as { Key: string }).Key, `${BUCKET}/dir/a.txt`);
    const again = await call(s, `/object/${BUCKET}/dir/a.txt`, {
      method: "POST",
      body: "x",
      headers: { "content-type": "text/plain" },
    });
    assert.deepEqual([again.status, (again.body as { statusCode: string }).statusCode], [400, "409"]);

    const get = await call(s, `/object/${BUCKET}/dir/a.txt`);
    assert.equal(get.text, "0123456789");
    assert.equal(get.headers.get("content-type"), "text/plain");
    assert.equal(get.headers.get("cache-control"), "max-age=60");
    const etag = get.headers.get("etag")!;
    assert.equal(etag, '"781e5e245d69b566979b86e28d23f2c7"', "the MD5 of the content");
    const notModified = await call(s, `/object/${BUCKET}/dir/a.txt`, { headers: { "if-none-match": etag } });
    assert.equal(notModified.status, 304);
    const range = await call(s, `/object/${BUCKET}/dir/a.txt`, { headers: { range: "bytes=2-4" } });
    assert.deepEqual([range.status, range.text, range.headers.get("content-range")], [206, "234", "bytes 2-4/10"]);
    const tail = await call(s, `/object/${BUCKET}/dir/a.txt`, { headers: { range: "bytes=-3" } });
    assert.equal(tail.text, "789");
    const head = await fetch(`${s.url}/storage/v1/object/${BUCKET}/dir/a.txt`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${s.serviceRoleKey}` },
    });
    assert.deepEqual([head.status, head.headers.get("content-length")], [200, "10"]);
    const info = await call(s, `/object/info/${BUCKET}/dir/a.txt`);
    assert.deepEqual(
      (({ size, content_type, cache_control, metadata }) => ({ size, content_type, cache_control, metadata }))(
        info.body as Record<string, unknown>,
      ),
      { size: 10, content_type: "text/plain", cache_control: "max-age=60", metadata: { k: "v" } },
    );
    const download = await call(s, `/object/${BUCKET}/dir/a.txt?download=my%20file.txt`);
    assert.equal(
      download.headers.get("content-disposition"),
      "attachment; filename=my%20file.txt; filename*=UTF-8''my%20file.txt",
    );

    const form = new FormData();
    form.append("cacheControl", "120");
    form.append("metadata", JSON.stringify({ from: "form" }));
    form.append("", new Blob(["formed"], { type: "image/png" }), "b.png");
    const multipart = await call(s, `/object/${BUCKET}/dir/b.png`, { method: "PUT", body: form });
    assert.equal(multipart.status, 200, multipart.text);
    const b = await call(s, `/object/info/${BUCKET}/dir/b.png`);
    assert.deepEqual(
      [
        (b.body as Record<string, unknown>).content_type,
        (b.body as Record<string, unknown>).cache_control,
        (b.body as Record<string, unknown>).metadata,
      ],
      ["image/png", "max-age=120", { from: "form" }],
    );
    const tooBig = new FormData();
    tooBig.append("", new Blob(["x".repeat(1001)], { type: "text/plain" }), "c.txt");
    const cut = await call(s, `/object/${BUCKET}/dir/c.txt`, { method: "POST", body: tooBig });
    assert.equal((cut.body as { statusCode: string }).statusCode, "413", "a multipart file over the limit is cut off");

    // replacing: the previous version's file is removed, no temporary file is left
    const before = new Set(filesOf(s.gateway.storageDir));
    const put = await call(s, `/object/${BUCKET}/dir/a.txt`, {
      method: "PUT",
      body: "new",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(put.status, 200);
    const after = filesOf(s.gateway.storageDir);
    assert.equal(after.length, before.size, "one file replaced by another");
    assert.deepEqual([...Deno.readDirSync(join(s.gateway.storageDir, "tmp"))], []);
    assert.equal((await call(s, `/object/${BUCKET}/dir/a.txt`)).text, "new");

    const listed = await call(s, `/object/list/${BUCKET}`, {
      method: "POST",
      body: JSON.stringify({ prefix: "dir", sortBy: { column: "name", order: "desc" } }),
      headers: { "content-type": "application/json" },
    });
    assert.deepEqual((listed.body as { name: string }[]).map((o) => o.name), ["b.png", "a.txt"]);
    const root = await call(s, `/object/list/${BUCKET}`, {
      method: "POST",
      body: JSON.stringify({ prefix: "" }),
      headers: { "content-type": "application/json" },
    });
    assert.deepEqual(
      (root.body as { name: string; id: string | null }[]).map((o) => [o.name, o.id]),
      [["dir", null]],
      "folders",
    );
  });

  stackTest(stack, "storage API: signed URLs carry Storage's claims and scopes", async (s) => {
    await call(s, `/object/${BUCKET}/s.txt`, {
      method: "POST",
      body: "signed",
      headers: { "content-type": "text/plain" },
    });
    const sign = await call(s, `/object/sign/${BUCKET}/s.txt`, {
      method: "POST",
      body: JSON.stringify({ expiresIn: 60 }),
      headers: { "content-type": "application/json" },
    });
    const signedURL = (sign.body as { signedURL: string }).signedURL;
    const token = new URL(`http://x${signedURL}`).searchParams.get("token")!;
    const claims = decodeJwt(token);
    assert.deepEqual([claims.url, claims.scope, (claims.exp as number) - (claims.iat as number)], [
      `${BUCKET}/s.txt`,
      "download",
      60,
    ]);
    assert.equal((await call(s, signedURL, { key: "" })).text, "signed");
    const upload = await call(s, `/object/upload/sign/${BUCKET}/s.txt`, {
      method: "PUT",
      body: "x",
      key: "",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(upload.status, 400, "no token");
    const wrongScope = await call(s, `/object/upload/sign/${BUCKET}/s.txt?token=${token}`, {
      method: "PUT",
      body: "x",
      key: "",
      headers: { "content-type": "text/plain" },
    });
    assert.deepEqual(wrongScope.body, {
      statusCode: "400",
      code: "InvalidSignature",
      error: "InvalidSignature",
      message: "Token is not scoped for upload",
    });
    const many = await call(s, `/object/sign/${BUCKET}`, {
      method: "POST",
      body: JSON.stringify({ expiresIn: 60, paths: ["s.txt", "missing.txt"] }),
      headers: { "content-type": "application/json" },
    });
    assert.deepEqual((many.body as { path: string; error: string | null }[]).map((r) => [r.path, r.error]), [
      ["s.txt", null],
      ["missing.txt", "Either the object does not exist or you do not have access to it"],
    ]);
    const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    const bad = await call(s, `/object/sign/${BUCKET}/s.txt?token=${tampered}`, { key: "" });
    assert.deepEqual([bad.status, (bad.body as { code: string }).code], [400, "InvalidJWT"]);
  });
}

function filesOf(root: string): string[] {
  return [...Deno.readDirSync(root)].filter((e) => e.isDirectory && e.name !== "tmp")
    .flatMap((d) => [...Deno.readDirSync(join(root, d.name))].map((f) => `${d.name}/${f.name}`));
}
