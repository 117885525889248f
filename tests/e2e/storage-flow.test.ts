/**
 * Files end to end with supabase-js `.storage` against the local Storage API, on every engine: a
 * user uploads into their own folder and not another's; over-size and wrong-type uploads get
 * Supabase's errors; a signed URL works, then expires; a public avatar needs no token; a chat member
 * reads a linked attachment and a stranger does not, a share holder reads it through the share; the
 * upload becomes an attachment listed by get_messages, get_entry and list_attachments, deleted
 * through delete_attachment and the janitor's queue.
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import {
  client,
  rpcOk,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
  type TestStack,
} from "./_stack.ts";
import { signJwt } from "../../stack/gateway/jwt.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

const png = (size: number) => new Blob([new Uint8Array(size).fill(7)], { type: "image/png" });

async function sha256(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

for (const kind of testEngines()) {
  const stack = stackFixture(kind);
  stopStackAfterTests(stack);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(stack, name, fn);

  test("storage: uploads go to one's own folder only, within the bucket's size and types", async (s) => {
    const alice = await signedInUser(s, "files-alice");
    const bob = await signedInUser(s, "files-bob");
    const files = alice.supabase.storage.from("attachments");

    const up = await files.upload(`${alice.id}/board.png`, png(1000));
    assert.equal(up.error, null);
    assert.equal(up.data!.fullPath, `attachments/${alice.id}/board.png`);
    const dl = await files.download(`${alice.id}/board.png`);
    assert.equal(dl.error, null);
    assert.equal((await dl.data!.arrayBuffer()).byteLength, 1000);
    assert.equal(dl.data!.type, "image/png");

    const intruder = await bob.supabase.storage.from("attachments").upload(`${alice.id}/evil.png`, png(10));
    assert.deepEqual(
      [intruder.error?.message, (intruder.error as Loose)?.status, (intruder.error as Loose)?.statusCode],
      ["new row violates row-level security policy", 400, "403"],
    );
    const peek = await bob.supabase.storage.from("attachments").download(`${alice.id}/board.png`);
    assert.deepEqual([(peek.error as Loose)?.statusCode, peek.error?.message], ["404", "Object not found"]);

    const again = await files.upload(`${alice.id}/board.png`, png(10));
    assert.deepEqual([(again.error as Loose)?.statusCode, again.error?.message], [
      "409",
      "The resource already exists",
    ]);
    const replaced = await files.upload(`${alice.id}/board.png`, png(20), { upsert: true });
    assert.equal(replaced.error, null, "x-upsert replaces");
    assert.equal(replaced.data!.id, up.data!.id, "the same object");
    assert.equal((await (await files.download(`${alice.id}/board.png`)).data!.arrayBuffer()).byteLength, 20);

    // avatars: 2 MB, images only; attachments: 50 MB, images, PDFs and text
    const avatars = alice.supabase.storage.from("avatars");
    const big = await avatars.upload(`${alice.id}/me.png`, png(2 * 1024 * 1024 + 1));
    assert.deepEqual(
      [(big.error as Loose)?.status, (big.error as Loose)?.statusCode, big.error?.message],
      [400, "413", "The object exceeded the maximum allowed size"],
    );
    const binaryBig = await avatars.upload(`${alice.id}/me.png`, new Uint8Array(2 * 1024 * 1024 + 1), {
      contentType: "image/png",
    });
    assert.equal((binaryBig.error as Loose)?.statusCode, "413", "a binary body over the limit too");
    const zip = await files.upload(`${alice.id}/a.zip`, new Blob(["PK"], { type: "application/zip" }));
    assert.deepEqual(
      [(zip.error as Loose)?.statusCode, zip.error?.message],
      ["415", "mime type application/zip is not supported"],
    );
    const text = await files.upload(`${alice.id}/notes.txt`, "plain text", { contentType: "text/plain" });
    assert.equal(text.error, null, "text/* is allowed");

    const listed = await files.list(alice.id, { sortBy: { column: "name", order: "asc" } });
    assert.deepEqual(listed.data!.map((f) => f.name), ["board.png", "notes.txt"]);
    const info = await files.info(`${alice.id}/notes.txt`);
    assert.equal(info.data!.size, 10);
    assert.equal(info.data!.contentType, "text/plain");
    assert.equal((await files.exists(`${alice.id}/nothing.txt`)).data, false);
  });

  test("storage: a signed URL works, then expires; a public avatar needs no token", async (s) => {
    const alice = await signedInUser(s, "files-signed");
    const files = alice.supabase.storage.from("attachments");
    await files.upload(`${alice.id}/plan.pdf`, new Blob(["%PDF-1.4"], { type: "application/pdf" }));
    const signed = await files.createSignedUrl(`${alice.id}/plan.pdf`, 1);
    assert.equal(signed.error, null);
    const ok = await fetch(signed.data!.signedUrl);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "%PDF-1.4");
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await fetch(signed.data!.signedUrl);
    assert.equal(expired.status, 400);
    assert.deepEqual(await expired.json(), {
      statusCode: "400",
      code: "InvalidJWT",
      error: "InvalidJWT",
      message: '"exp" claim timestamp check failed',
    });
    const forged = new URL(signed.data!.signedUrl);
    forged.pathname = forged.pathname.replace("plan.pdf", "other.pdf");
    assert.equal((await fetch(forged)).status, 400, "a token names its object");

    // signed upload URL: anyone holding it uploads that path once
    const upload = await files.createSignedUploadUrl(`${alice.id}/dropped.txt`);
    const dropped = await client(s).storage.from("attachments").uploadToSignedUrl(
      `${alice.id}/dropped.txt`,
      upload.data!.token,
      new Blob(["dropped"], { type: "text/plain" }),
    );
    assert.equal(dropped.error, null);
    assert.equal(await (await files.download(`${alice.id}/dropped.txt`)).data!.text(), "dropped");

    const avatar = await alice.supabase.storage.from("avatars").upload(`${alice.id}/me.png`, png(64));
    assert.equal(avatar.error, null);
    const { data } = alice.supabase.storage.from("avatars").getPublicUrl(`${alice.id}/me.png`);
    const res = await fetch(data.publicUrl);
    assert.equal(res.status, 200, "a public bucket's object is read without any key");
    assert.equal((await res.arrayBuffer()).byteLength, 64);
    const privateUrl = files.getPublicUrl(`${alice.id}/plan.pdf`).data.publicUrl;
    const refused = await fetch(privateUrl);
    assert.deepEqual([refused.status, (await refused.json()).message], [400, "Bucket not found"]);
  });

  test("storage: a chat member reads a linked attachment, a stranger does not, a share holder does", async (s) => {
    const alice = await signedInUser(s, "files-owner");
    const bob = await signedInUser(s, "files-member");
    const carol = await signedInUser(s, "files-stranger");
    const photo = png(500);
    const digest = await sha256(photo);
    const path = `${alice.id}/chat/circuit.png`;
    const up = await alice.supabase.storage.from("attachments").upload(path, photo, {
      metadata: { sha256: digest, category: "circuit_image" },
    });
    assert.equal(up.error, null);
    // the same content again elsewhere is the same attachment
    const dup = await alice.supabase.storage.from("attachments").upload(`${alice.id}/other/circuit.png`, photo, {
      metadata: { sha256: digest },
    });
    const mine = await rpcOk<Loose[]>(alice.supabase, "list_attachments", {});
    assert.deepEqual(mine.map((a) => [a.id, a.path, a.category, a.sha256]), [[
      up.data!.id,
      path,
      "circuit_image",
      digest,
    ]]);

    const chat = await rpcOk(alice.supabase, "create_chat", { title: "Wiring check" });
    const message = await rpcOk(alice.supabase, "append_message", { chat_id: chat.id, role: "user", content: "look" });
    const linked = await rpcOk(alice.supabase, "link_attachment", {
      attachment_id: dup.data!.id,
      message_id: message.id,
    });
    assert.equal(linked.id, up.data!.id, "the repeated upload's id names the attachment");
    await rpcOk(alice.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "viewer" });

    const page = await rpcOk<Loose[]>(bob.supabase, "get_messages", { chat_id: chat.id });
    assert.deepEqual(page[0].attachments.map((a: Loose) => [a.id, a.path]), [[up.data!.id, path]]);
    const read = await bob.supabase.storage.from("attachments").download(path);
    assert.equal(read.error, null, "the member downloads it");
    assert.equal((await read.data!.arrayBuffer()).byteLength, 500);
    const stranger = await carol.supabase.storage.from("attachments").download(path);
    assert.equal((stranger.error as Loose)?.statusCode, "404", "a stranger does not");
    const strangerSign = await carol.supabase.storage.from("attachments").createSignedUrl(path, 60);
    assert.equal((strangerSign.error as Loose)?.statusCode, "404", "nor signs a URL for it");

    const share = await rpcOk(alice.supabase, "share_chat", { chat_id: chat.id });
    const visitor = createClient(s.url, s.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { "x-parley-share-token": share.token } },
    });
    const shared = await rpcOk(visitor, "get_shared_chat", { token: share.token });
    assert.equal(shared.messages[0].attachments[0].path, path);
    const viaShare = await visitor.storage.from("attachments").download(path);
    assert.equal(viaShare.error, null, "a share holder downloads a file of a shared message");
    const noShare = await client(s).storage.from("attachments").download(path);
    assert.equal((noShare.error as Loose)?.statusCode, "404", "anon without the share does not");

    // deleting it: gone from the chat at once, its file queued for the janitor
    assert.equal(await rpcOk(alice.supabase, "delete_attachment", { attachment_id: up.data!.id }), true);
    assert.deepEqual((await rpcOk<Loose[]>(bob.supabase, "get_messages", { chat_id: chat.id }))[0].attachments, []);
    assert.equal((await bob.supabase.storage.from("attachments").download(path)).error !== null, true);
    const jobs = await s.engine.db.query<{ object_name: string; reason: string }>(
      "select object_name, reason from public.file_deletion_jobs where owner_id = $1 order by object_name",
      [alice.id],
    );
    assert.deepEqual(jobs.map((j) => [j.object_name, j.reason]), [
      [path, "attachment_deleted"],
      [`${alice.id}/other/circuit.png`, "duplicate"],
    ]);
  });

  test("storage: move, copy and remove as the caller; an entry lists its attachments", async (s) => {
    const alice = await signedInUser(s, "files-moves");
    const bob = await signedInUser(s, "files-moves-other");
    const files = alice.supabase.storage.from("audio");
    const up = await files.upload(`${alice.id}/dream.m4a`, new Blob(["audio"], { type: "audio/mp4" }));
    assert.equal(up.error, null);
    const dream = await rpcOk(alice.supabase, "create_dream", {
      content: "Flying",
      audio_path: `audio/${alice.id}/dream.m4a`,
    });
    await rpcOk(alice.supabase, "link_attachment", { attachment_id: up.data!.id, entry_id: dream.id });
    assert.equal((await files.move(`${alice.id}/dream.m4a`, `${alice.id}/dreams/1.m4a`)).error, null);
    const entry = await rpcOk(alice.supabase, "get_entry", { entry_id: dream.id });
    assert.deepEqual(entry.attachments.map((a: Loose) => [a.path, a.category]), [[
      `${alice.id}/dreams/1.m4a`,
      "audio",
    ]]);
    const stolen = await bob.supabase.storage.from("audio").move(`${alice.id}/dreams/1.m4a`, `${bob.id}/mine.m4a`);
    assert.equal((stolen.error as Loose)?.statusCode, "404", "another user moves nothing");
    assert.equal((await files.copy(`${alice.id}/dreams/1.m4a`, `${alice.id}/copy.m4a`)).error, null);
    assert.equal(await (await files.download(`${alice.id}/copy.m4a`)).data!.text(), "audio");
    const removed = await files.remove([`${alice.id}/copy.m4a`]);
    assert.deepEqual(removed.data!.map((o) => o.name), [`${alice.id}/copy.m4a`]);
    assert.equal((await files.exists(`${alice.id}/copy.m4a`)).data, false);
    const notMine = await bob.supabase.storage.from("audio").remove([`${alice.id}/dreams/1.m4a`]);
    assert.deepEqual(notMine.data, [], "removing another user's file removes nothing");
  });

  test("storage: a bad or missing JWT", async (s) => {
    const expired = await signJwt(
      { role: "authenticated", sub: crypto.randomUUID(), exp: Math.floor(Date.now() / 1000) - 10 },
      s.gateway.keys.key,
    );
    const res = await fetch(`${s.url}/storage/v1/object/attachments/x/y.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${expired}`, "content-type": "text/plain" },
      body: "x",
    });
    assert.deepEqual([res.status, (await res.json()).statusCode], [400, "403"]);
    const buckets = await createClient(s.url, s.serviceRoleKey, { auth: { persistSession: false } }).storage
      .listBuckets();
    assert.deepEqual(buckets.data!.map((b) => b.id).sort(), [
      "attachments",
      "audio",
      "avatars",
      "dream-images",
      "exports",
      "generated",
      "interpreters",
    ]);
  });
}
