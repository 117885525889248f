/**
 * `/storage/v1`: the subset of Supabase Storage's HTTP API that supabase-js `.storage` uses, over
 * files on local disk (files.ts) and the `storage` schema (sql/platform/30_storage.sql), following
 * supabase/storage (src/http/routes/object/*, src/storage/object.ts, uploader.ts) route by route.
 *
 * - Who: `Authorization: Bearer <jwt>` verified with the project's secret (the anon key is a valid
 *   JWT with role anon). Routes Storage serves without a valid JWT (GET/HEAD /object/<bucket>/…,
 *   info, public and signed URLs) treat its absence as anon; the others answer 403 AccessDenied.
 * - Every operation on objects runs in one transaction as the caller's role with their claims and
 *   Storage's per-request settings (role, request.jwt.claims, request.jwt.claim.sub,
 *   request.headers…, storage.allow_delete_query), through the gateway's Executor, so the RLS
 *   policies on storage.objects decide, as on Supabase. Storage's "superuser" reads (bucket
 *   settings, public buckets, signed URLs) run as service_role.
 * - Uploads: POST (x-upsert: true to replace), PUT (always upsert), multipart (supabase-js with a
 *   Blob or FormData: fields cacheControl, metadata, contentType, then the file) or a binary body
 *   (Content-Type, Cache-Control, x-metadata base64 JSON). As Storage does: the MIME type is checked
 *   against the bucket's allowed_mime_types (type/* wildcards), the size against the smaller of the
 *   bucket's file_size_limit and [storage] file_size_limit (a declared Content-Length up front, the
 *   body as it streams), the insert is tried as the caller and rolled back (canUpload) before any
 *   byte is stored, the body is streamed to disk and renamed into place, and the row is written.
 *   Content is never in the database.
 * - Signed URLs are HS256 JWTs signed with the project's JWT secret: `{url: "<bucket>/<name>",
 *   scope: "download", iat, exp}` for downloads, `{owner, url, upsert, scope: "upload", iat, exp}`
 *   (two hours) for uploads.
 * - Errors have Storage's body `{statusCode, code, error, message}` and status (errors.ts).
 * - Not served: buckets' creation, update and deletion (Parley's buckets are in its schema), the
 *   list-v2 and S3/TUS/image-rendering endpoints.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Executor } from "../gateway/executor.ts";
import { BodyReadError, BodyTooLargeError, readBody } from "../gateway/http.ts";
import { type JwtClaims, JwtError, type JwtVerifier } from "../gateway/jwt.ts";
import { errorResponse, ERRORS, fromDatabaseError, StorageError } from "./errors.ts";
import { type FileStore, TooLargeError } from "./files.ts";
import { readMultipart } from "./multipart.ts";

export interface StorageOptions {
  executor: Executor;
  /** The per-request settings of a role (`alter role … set`); undefined for a role the API may not use. */
  roleSettings(role: string): [string, string][] | undefined;
  verifier: JwtVerifier;
  /** The HMAC key of the project's JWT secret (signed URLs). */
  key: CryptoKey;
  files: FileStore;
  /** [storage] file_size_limit: no upload is larger, whatever its bucket allows. */
  fileSizeLimit: number;
  log?: (line: string) => void;
}

/** Who calls: a verified JWT's role and claims (anon without one, where a route allows that). */
interface Caller {
  role: string;
  claims: JwtClaims;
  jwt: string;
  authenticated: boolean;
}

interface Bucket {
  id: string;
  public: boolean;
  file_size_limit: number | string | null;
  allowed_mime_types: string[] | null;
}

interface ObjectRow {
  id: string;
  name?: string;
  bucket_id?: string;
  version: string | null;
  metadata: Record<string, unknown> | null;
  user_metadata?: Record<string, unknown> | null;
  created_at?: string;
  updated_at?: string;
}

type Settings = [string, string][];

const SIGNED_UPLOAD_SECONDS = 7200;
const MAX_JSON_BODY = 1024 * 1024;
const MAX_OBJECTS_PER_REQUEST = 1000;
const MAX_USER_METADATA = 1024 * 1024;
// supabase/storage src/storage/limits.ts
const VALID_OBJECT_KEY = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/;
const SERVICE_CLAIMS = JSON.stringify({ role: "service_role" });
const encoder = new TextEncoder();

/** Rolls back canUpload's trial insert. */
class TrialRollback extends Error {}

export class StorageApi {
  constructor(private readonly o: StorageOptions) {}

  /** Answers a request whose path starts with /storage/v1. */
  async handle(req: Request, url: URL): Promise<Response> {
    try {
      return await this.route(req, url);
    } catch (e) {
      if (e instanceof StorageError) return errorResponse(e);
      if (e instanceof BodyTooLargeError) return errorResponse(ERRORS.EntityTooLarge());
      if (e instanceof BodyReadError) return errorResponse(ERRORS.NoContentProvided(e.message));
      this.o.log?.(`storage: ${req.method} ${url.pathname}: ${(e as Error).stack ?? e}`);
      return errorResponse(ERRORS.InternalError());
    }
  }

  private async route(req: Request, url: URL): Promise<Response> {
    const path = url.pathname.slice("/storage/v1".length);
    const method = req.method === "HEAD" ? "HEAD" : req.method;
    const m = (re: RegExp) => re.exec(path);
    let r: RegExpExecArray | null;

    if ((r = m(/^\/bucket\/?$/)) && method === "GET") return await this.listBuckets(req, url);
    if ((r = m(/^\/bucket\/([^/]+)\/?$/)) && method === "GET") return await this.getBucket(req, url, decode(r[1]));

    if ((r = m(/^\/object\/list\/([^/]+)\/?$/)) && method === "POST") return await this.list(req, url, decode(r[1]));
    if (m(/^\/object\/move\/?$/) && method === "POST") return await this.move(req, url);
    if (m(/^\/object\/copy\/?$/) && method === "POST") return await this.copy(req, url);
    if ((r = m(/^\/object\/upload\/sign\/([^/]+)\/(.+)$/))) {
      if (method === "POST") return await this.signUpload(req, url, decode(r[1]), decode(r[2]));
      if (method === "PUT") return await this.uploadSigned(req, url, decode(r[1]), decode(r[2]));
    }
    if ((r = m(/^\/object\/sign\/([^/]+)\/(.+)$/))) {
      if (method === "POST") return await this.signOne(req, url, decode(r[1]), decode(r[2]));
      if (method === "GET") return await this.downloadSigned(req, url, decode(r[1]), decode(r[2]));
    }
    if ((r = m(/^\/object\/sign\/([^/]+)\/?$/)) && method === "POST") {
      return await this.signMany(req, url, decode(r[1]));
    }
    if ((r = m(/^\/object\/public\/([^/]+)\/(.+)$/)) && (method === "GET" || method === "HEAD")) {
      return await this.downloadPublic(req, decode(r[1]), decode(r[2]), method === "HEAD" ? "head" : "asset");
    }
    if ((r = m(/^\/object\/info\/public\/([^/]+)\/(.+)$/)) && method === "GET") {
      return await this.downloadPublic(req, decode(r[1]), decode(r[2]), "info");
    }
    if ((r = m(/^\/object\/info\/authenticated\/([^/]+)\/(.+)$/)) && method === "GET") {
      return await this.download(req, url, decode(r[1]), decode(r[2]), "info", false);
    }
    if ((r = m(/^\/object\/info\/([^/]+)\/(.+)$/)) && method === "GET") {
      return await this.download(req, url, decode(r[1]), decode(r[2]), "info", true);
    }
    if ((r = m(/^\/object\/authenticated\/([^/]+)\/(.+)$/)) && (method === "GET" || method === "HEAD")) {
      return await this.download(req, url, decode(r[1]), decode(r[2]), method === "HEAD" ? "head" : "asset", false);
    }
    if ((r = m(/^\/object\/([^/]+)\/(.+)$/))) {
      const bucket = decode(r[1]);
      const name = decode(r[2]);
      if (method === "GET" || method === "HEAD") {
        return await this.download(req, url, bucket, name, method === "HEAD" ? "head" : "asset", true);
      }
      if (method === "POST" || method === "PUT") {
        const caller = await this.caller(req, false);
        return await this.upload(req, url, bucket, name, {
          caller,
          owner: caller.claims.sub,
          upsert: method === "PUT" || req.headers.get("x-upsert") === "true",
        });
      }
      if (method === "DELETE") return await this.removeOne(req, url, bucket, name);
    }
    if ((r = m(/^\/object\/([^/]+)\/?$/)) && method === "DELETE") return await this.removeMany(req, url, decode(r[1]));
    await req.body?.cancel().catch(() => {});
    return new Response(
      JSON.stringify({ statusCode: "404", error: "Not Found", message: `Route ${req.method}:${path} not found` }),
      { status: 404, headers: { "content-type": "application/json; charset=utf-8" } },
    );
  }

  // ------------------------------------------------------------------ who, and how the SQL runs

  private async caller(req: Request, allowInvalidJwt: boolean): Promise<Caller> {
    const header = req.headers.get("authorization") ?? "";
    const jwt = header.replace(/^Bearer\s+/i, "").trim();
    const anon: Caller = { role: "anon", claims: { role: "anon" }, jwt: "", authenticated: false };
    if (!jwt && allowInvalidJwt) return anon;
    let claims: JwtClaims;
    try {
      claims = await this.o.verifier.verify(jwt);
    } catch (e) {
      if (!(e instanceof JwtError)) throw e;
      if (allowInvalidJwt) return anon;
      throw ERRORS.AccessDenied(e.message);
    }
    const role = typeof claims.role === "string" && claims.role ? claims.role : "anon";
    if (!this.o.roleSettings(role)) throw ERRORS.AccessDenied(`permission denied to set role "${role}"`);
    return { role, claims, jwt, authenticated: true };
  }

  /** Storage's per-request settings for the caller (supabase/storage src/internal/database/postgres/scope.ts). */
  private userSettings(req: Request, url: URL, caller: Caller, operation: string): Settings {
    return [
      ...(this.o.roleSettings(caller.role) ?? []),
      ["request.jwt.claim.role", caller.role],
      ["request.jwt", caller.jwt],
      ["request.jwt.claim.sub", typeof caller.claims.sub === "string" ? caller.claims.sub : ""],
      ["request.jwt.claims", JSON.stringify(caller.claims)],
      ["request.headers", headersJson(req)],
      ["request.method", req.method],
      ["request.path", url.pathname.slice("/storage/v1".length)],
      ["storage.operation", operation],
      ["storage.allow_delete_query", "true"],
      ["role", caller.role],
    ];
  }

  /** Storage's "superuser": the service role (bucket settings, public objects, signed URLs). */
  private serviceSettings(req: Request, operation: string): Settings {
    return [
      ["request.jwt.claim.role", "service_role"],
      ["request.jwt.claims", SERVICE_CLAIMS],
      ["request.headers", headersJson(req)],
      ["storage.operation", operation],
      ["storage.allow_delete_query", "true"],
      ["role", "service_role"],
    ];
  }

  private async sql<T extends Record<string, unknown>>(
    settings: Settings,
    sql: (p: (i: number) => string) => string,
    values: (string | null)[],
    check?: (rows: T[]) => void,
  ): Promise<T[]> {
    // the executor binds text values; null is sent as the marker below and turned back into NULL
    const NULL = "\u0001null";
    const bound = values.map((v) => v ?? NULL);
    try {
      return await this.o.executor.run<T>(settings, {
        sql: (p) => sql((i) => `nullif(${p(i)}, '${NULL}')`),
        values: bound,
      }, check);
    } catch (e) {
      if (e instanceof TrialRollback) throw e;
      throw fromDatabaseError(e);
    }
  }

  private async findBucket(req: Request, id: string): Promise<Bucket> {
    const [bucket] = await this.sql<Bucket & Record<string, unknown>>(
      this.serviceSettings(req, "storage.object.find_bucket"),
      (p) =>
        `select b.id, b.public, b.file_size_limit, b.allowed_mime_types from storage.buckets b where b.id = ${p(0)}`,
      [id],
    );
    if (!bucket) throw ERRORS.NoSuchBucket();
    return bucket;
  }

  // ------------------------------------------------------------------ buckets

  private async listBuckets(req: Request, url: URL): Promise<Response> {
    const caller = await this.caller(req, false);
    const rows = await this.sql(
      this.userSettings(req, url, caller, "storage.bucket.list"),
      () =>
        `select b.id, b.name, b.owner, b.public, b.file_size_limit, b.allowed_mime_types, b.created_at, b.updated_at
         from storage.buckets b order by b.name`,
      [],
    );
    return json(200, rows);
  }

  private async getBucket(req: Request, url: URL, id: string): Promise<Response> {
    const caller = await this.caller(req, false);
    const [row] = await this.sql(
      this.userSettings(req, url, caller, "storage.bucket.get"),
      (p) =>
        `select b.id, b.name, b.owner, b.public, b.file_size_limit, b.allowed_mime_types, b.created_at, b.updated_at
         from storage.buckets b where b.id = ${p(0)}`,
      [id],
    );
    if (!row) throw ERRORS.NoSuchBucket();
    return json(200, row);
  }

  // ------------------------------------------------------------------ uploads

  private async upload(
    req: Request,
    url: URL,
    bucketId: string,
    name: string,
    who: { caller: Caller | null; owner: string | undefined; upsert: boolean },
  ): Promise<Response> {
    try {
      const bucket = await this.findBucket(req, bucketId);
      mustBeValidKey(name);
      const emptyFolder = name.endsWith(".emptyFolderPlaceholder");
      const bucketLimit = bucket.file_size_limit === null ? Infinity : Number(bucket.file_size_limit);
      const limit = emptyFolder ? 0 : Math.min(bucketLimit, this.o.fileSizeLimit);
      const allowed = emptyFolder ? [] : bucket.allowed_mime_types ?? [];
      const contentType = req.headers.get("content-type") ?? "";
      let body: ReadableStream<Uint8Array> | null;
      let mimeType: string;
      let cacheControl: string;
      let userMetadata: Record<string, unknown> | undefined;
      if (contentType.startsWith("multipart/form-data")) {
        let form;
        try {
          form = await readMultipart(req);
        } catch (e) {
          throw ERRORS.NoContentProvided((e as Error).message);
        }
        if (!form) throw ERRORS.NoContentProvided();
        body = form.stream;
        mimeType = form.fields.contentType || form.mimeType;
        cacheControl = form.fields.cacheControl ? `max-age=${form.fields.cacheControl}` : "no-cache";
        if (allowed.length) validateMimeType(mimeType, allowed);
        const custom = form.fields.metadata ?? form.fields.userMetadata;
        if (custom !== undefined) {
          if (encoder.encode(custom).byteLength > MAX_USER_METADATA) {
            throw ERRORS.EntityTooLarge("user_metadata");
          }
          userMetadata = parseJsonObject(custom);
        }
      } else {
        mimeType = contentType || "application/octet-stream";
        cacheControl = req.headers.get("cache-control") ?? "no-cache";
        if (allowed.length) validateMimeType(mimeType, allowed);
        const custom = req.headers.get("x-metadata");
        if (custom !== null) userMetadata = parseUserMetadata(custom);
        const declared = Number(req.headers.get("content-length") ?? NaN);
        if (Number.isFinite(declared) && declared > limit) throw ERRORS.EntityTooLarge();
        body = req.body;
      }
      const declared = Number(req.headers.get("content-length") ?? NaN);
      const settings = who.caller
        ? this.userSettings(req, url, who.caller, "storage.object.upload")
        : this.serviceSettings(req, "storage.object.upload_signed");
      const owner = who.owner ?? null;
      // canUpload: the row as the caller would write it, tried and rolled back before any byte is stored
      await this.trial(settings, bucketId, name, owner, who.upsert, {
        mimetype: mimeType,
        ...(Number.isFinite(declared) ? { contentLength: declared } : {}),
      }, userMetadata);

      let stored;
      try {
        stored = await this.o.files.write(body, limit);
      } catch (e) {
        if (e instanceof TooLargeError) throw ERRORS.EntityTooLarge();
        throw ERRORS.NoContentProvided((e as Error).message);
      }
      const metadata = {
        eTag: `"${stored.md5}"`,
        size: stored.size,
        mimetype: mimeType,
        cacheControl,
        lastModified: new Date().toISOString(),
        contentLength: stored.size,
        httpStatusCode: 200,
      };
      let row: { id: string; previous: string | null };
      try {
        [row] = await this.writeObject(
          settings,
          bucketId,
          name,
          owner,
          who.upsert,
          metadata,
          userMetadata,
          stored.version,
        );
      } catch (e) {
        await this.o.files.remove(stored.version);
        throw e instanceof StorageError && e.code === "ResourceAlreadyExists" ? ERRORS.KeyAlreadyExists() : e;
      }
      if (row.previous && row.previous !== stored.version) await this.o.files.remove(row.previous);
      return json(200, who.caller ? { Id: row.id, Key: `${bucketId}/${name}` } : { Key: `${bucketId}/${name}` });
    } finally {
      await req.body?.cancel().catch(() => {});
    }
  }

  /** Storage's canUpload: the insert (or upsert) as the caller, rolled back. */
  private async trial(
    settings: Settings,
    bucketId: string,
    name: string,
    owner: string | null,
    upsert: boolean,
    metadata: Record<string, unknown>,
    userMetadata: Record<string, unknown> | undefined,
  ): Promise<void> {
    try {
      await this.writeObject(settings, bucketId, name, owner, upsert, metadata, userMetadata, "1", () => {
        throw new TrialRollback();
      });
    } catch (e) {
      if (e instanceof TrialRollback) return;
      throw e instanceof StorageError && e.code === "ResourceAlreadyExists" ? ERRORS.KeyAlreadyExists() : e;
    }
  }

  /** Inserts (or upserts) an object row; returns its id and the version it replaced. */
  private writeObject(
    settings: Settings,
    bucketId: string,
    name: string,
    owner: string | null,
    upsert: boolean,
    metadata: Record<string, unknown>,
    userMetadata: Record<string, unknown> | undefined,
    version: string,
    check?: () => void,
  ) {
    const values = [
      bucketId,
      name,
      owner && isUuid(owner) ? owner : null,
      owner,
      JSON.stringify(metadata),
      userMetadata === undefined ? null : JSON.stringify(userMetadata),
      version,
    ];
    const insert = (p: (i: number) => string) =>
      `insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
       values (${p(0)}, ${p(1)}, ${p(2)}::uuid, ${p(3)}, ${p(4)}::jsonb, ${p(5)}::jsonb, ${p(6)})`;
    return this.sql<{ id: string; previous: string | null }>(
      settings,
      upsert
        ? (p) =>
          // previous reads the statement's snapshot, the version before the upsert (locking it here would
          // skip the row the upsert itself changes)
          `with previous as (
             select o.version from storage.objects o where o.bucket_id = ${p(0)} and o.name = ${p(1)}
           ), written as (
             ${insert(p)}
             on conflict (name, bucket_id) do update
             set metadata = excluded.metadata, user_metadata = excluded.user_metadata, version = excluded.version,
               owner = excluded.owner, owner_id = excluded.owner_id
             returning id
           )
           select w.id::text as id, (select v.version from previous v) as previous from written w`
        : (p) => `${insert(p)} returning id::text as id, null::text as previous`,
      values,
      check,
    );
  }

  private async signUpload(req: Request, url: URL, bucketId: string, name: string): Promise<Response> {
    await req.body?.cancel().catch(() => {});
    const caller = await this.caller(req, false);
    await this.findBucket(req, bucketId);
    mustBeValidKey(name);
    const upsert = req.headers.get("x-upsert") === "true";
    const custom = req.headers.get("x-metadata");
    const declared = Number(req.headers.get("content-length") ?? NaN);
    await this.trial(
      this.userSettings(req, url, caller, "storage.object.upload_sign"),
      bucketId,
      name,
      caller.claims.sub ?? null,
      upsert,
      {
        ...(req.headers.get("content-type") ? { mimetype: req.headers.get("content-type") } : {}),
        ...(Number.isFinite(declared) ? { contentLength: declared } : {}),
      },
      custom === null ? undefined : parseUserMetadata(custom),
    );
    const path = `${bucketId}/${name}`;
    const token = await this.sign(
      { owner: caller.claims.sub, url: path, upsert, scope: "upload" },
      SIGNED_UPLOAD_SECONDS,
    );
    return json(200, { url: `/object/upload/sign/${path}?token=${token}`, token });
  }

  private async uploadSigned(req: Request, url: URL, bucketId: string, name: string): Promise<Response> {
    let payload: Record<string, unknown>;
    try {
      payload = await this.verifySigned(url, bucketId, name, "upload");
    } catch (e) {
      await req.body?.cancel().catch(() => {});
      throw e;
    }
    return await this.upload(req, url, bucketId, name, {
      caller: null,
      owner: typeof payload.owner === "string" ? payload.owner : undefined,
      upsert: payload.upsert === true,
    });
  }

  // ------------------------------------------------------------------ downloads

  private async download(
    req: Request,
    url: URL,
    bucketId: string,
    name: string,
    render: "asset" | "head" | "info",
    allowInvalidJwt: boolean,
  ): Promise<Response> {
    const caller = await this.caller(req, allowInvalidJwt);
    const bucket = await this.findBucketOrNull(req, bucketId);
    if (!caller.authenticated && !bucket?.public) throw ERRORS.NoSuchBucket();
    if (!bucket) throw ERRORS.NoSuchBucket();
    mustBeValidKey(name);
    const settings = bucket.public
      ? this.serviceSettings(req, "storage.object.get")
      : this.userSettings(req, url, caller, "storage.object.get");
    const object = await this.findObject(settings, bucketId, name);
    return await this.render(req, url, object, render);
  }

  private async downloadPublic(
    req: Request,
    bucketId: string,
    name: string,
    render: "asset" | "head" | "info",
  ): Promise<Response> {
    const bucket = await this.findBucketOrNull(req, bucketId);
    if (!bucket?.public) throw ERRORS.NoSuchBucket();
    mustBeValidKey(name);
    const object = await this.findObject(this.serviceSettings(req, "storage.object.get_public"), bucketId, name);
    return await this.render(req, new URL(req.url), object, render);
  }

  private async downloadSigned(req: Request, url: URL, bucketId: string, name: string): Promise<Response> {
    const payload = await this.verifySigned(url, bucketId, name, "download");
    const object = await this.findObject(this.serviceSettings(req, "storage.object.get_signed"), bucketId, name);
    return await this.render(req, url, object, "asset", new Date(Number(payload.exp) * 1000).toUTCString());
  }

  private async findBucketOrNull(req: Request, id: string): Promise<Bucket | null> {
    try {
      return await this.findBucket(req, id);
    } catch (e) {
      if (e instanceof StorageError && e.code === "NoSuchBucket") return null;
      throw e;
    }
  }

  private async findObject(settings: Settings, bucketId: string, name: string): Promise<ObjectRow> {
    mustBeValidKey(name);
    const [row] = await this.sql<ObjectRow & Record<string, unknown>>(
      settings,
      (p) =>
        `select o.id::text as id, o.name, o.bucket_id, o.version, o.metadata, o.user_metadata, o.created_at, o.updated_at
         from storage.objects o where o.name = ${p(1)} and o.bucket_id = ${p(0)} limit 1`,
      [bucketId, name],
    );
    if (!row) throw ERRORS.NoSuchKey();
    return row;
  }

  /** Storage's renderers: the content (asset), its headers (head) or its description (info). */
  private async render(
    req: Request,
    url: URL,
    object: ObjectRow,
    render: "asset" | "head" | "info",
    expires?: string,
  ): Promise<Response> {
    const meta = object.metadata ?? {};
    const eTag = typeof meta.eTag === "string" ? meta.eTag : undefined;
    const mimetype = typeof meta.mimetype === "string" ? meta.mimetype : "application/octet-stream";
    const cacheControl = typeof meta.cacheControl === "string" ? meta.cacheControl : "no-cache";
    const lastModified = typeof meta.lastModified === "string" ? new Date(meta.lastModified) : null;
    const size = typeof meta.size === "number" ? meta.size : Number(meta.size ?? meta.contentLength ?? 0);
    if (render === "info") {
      const headers = new Headers({ "content-type": "application/json; charset=utf-8", "cache-control": cacheControl });
      if (eTag) headers.set("etag", eTag);
      if (lastModified && !isNaN(lastModified.getTime())) headers.set("last-modified", lastModified.toUTCString());
      return new Response(
        JSON.stringify({
          id: object.id,
          name: object.name,
          version: object.version,
          bucket_id: object.bucket_id,
          size,
          content_type: mimetype,
          cache_control: cacheControl,
          etag: eTag ?? null,
          metadata: object.user_metadata ?? null,
          last_modified: object.updated_at,
          created_at: object.created_at,
        }),
        { status: 200, headers },
      );
    }
    const headers = new Headers({
      "accept-ranges": "bytes",
      "content-type": mimetype,
      "x-robots-tag": "none",
    });
    if (eTag) headers.set("etag", eTag);
    if (lastModified && !isNaN(lastModified.getTime())) headers.set("last-modified", lastModified.toUTCString());
    if (expires) headers.set("expires", expires);
    else headers.set("cache-control", cacheControl);
    const download = url.searchParams.get("download");
    if (download !== null) {
      headers.set(
        "content-disposition",
        download === ""
          ? "attachment;"
          : `attachment; filename=${encodeURIComponent(download)}; filename*=UTF-8''${encodeURIComponent(download)}`,
      );
    }
    if (eTag && req.headers.get("if-none-match") === eTag) return new Response(null, { status: 304, headers });
    if (render === "head") {
      headers.set("content-length", String(size));
      return new Response(null, { status: 200, headers });
    }
    const opened = object.version ? await this.o.files.open(object.version) : null;
    if (!opened) {
      // the row is there but its file is not (removed by a concurrent replacement): Storage's 404
      return new Response(
        JSON.stringify({
          error: "Not found",
          message: "The resource was not found",
          statusCode: "404",
          code: "NoSuchKey",
        }),
        { status: 400, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } },
      );
    }
    const range = req.headers.get("range");
    if (range) {
      const parsed = parseRange(range, opened.size);
      if (!parsed) {
        opened.file.close();
        throw ERRORS.InvalidRange();
      }
      const [from, to] = parsed;
      await opened.file.seek(from, Deno.SeekMode.Start);
      headers.set("content-range", `bytes ${from}-${to}/${opened.size}`);
      headers.set("content-length", String(to - from + 1));
      return new Response(limitStream(opened.file, to - from + 1), { status: 206, headers });
    }
    headers.set("content-length", String(opened.size));
    return new Response(opened.file.readable, { status: 200, headers });
  }

  // ------------------------------------------------------------------ listing, moving, copying, removing

  private async list(req: Request, url: URL, bucketId: string): Promise<Response> {
    const caller = await this.caller(req, false);
    const body = await readJsonObject(req);
    if (typeof body.prefix !== "string") throw ERRORS.Validation("body must have required property 'prefix'");
    let prefix: string = body.prefix;
    const limit = optionalInteger(body, "limit", 1) ?? 100;
    const offset = optionalInteger(body, "offset", 0) ?? 0;
    const search = body.search === undefined ? "" : body.search;
    if (typeof search !== "string") throw ERRORS.Validation("body/search must be string");
    const sortBy = (body.sortBy ?? {}) as Record<string, unknown>;
    const column = sortBy.column ?? "name";
    if (!["name", "updated_at", "created_at", "last_accessed_at"].includes(column as string)) {
      throw ERRORS.Validation("body/sortBy/column must be equal to one of the allowed values");
    }
    const order = sortBy.order ?? "asc";
    if (!["asc", "desc"].includes(order as string)) {
      throw ERRORS.Validation("body/sortBy/order must be equal to one of the allowed values");
    }
    if (prefix.length > 0 && !prefix.endsWith("/")) prefix = `${prefix}/`;
    const escape = column !== "name";
    const safePrefix = escape ? escapeLike(prefix) : prefix;
    const safeSearch = escape ? escapeLike(search) : search;
    const rows = await this.sql(
      this.userSettings(req, url, caller, "storage.object.list"),
      (p) =>
        `select s.name, s.id, s.updated_at, s.created_at, s.last_accessed_at, s.metadata
         from storage.search(${p(0)}, ${p(1)}, ${p(2)}::integer, ${p(3)}::integer, ${p(4)}::integer, ${p(5)}, ${
          p(6)
        }, ${p(7)}) s`,
      [
        safePrefix,
        bucketId,
        String(limit),
        String((safePrefix + safeSearch).split("/").length),
        String(offset),
        safeSearch,
        column as string,
        order as string,
      ],
    );
    return json(200, rows);
  }

  private async move(req: Request, url: URL): Promise<Response> {
    const caller = await this.caller(req, false);
    const body = await readJsonObject(req);
    const bucketId = requiredString(body, "bucketId");
    const sourceKey = requiredString(body, "sourceKey");
    const destinationKey = requiredString(body, "destinationKey");
    const destinationBucket = optionalString(body, "destinationBucket") ?? bucketId;
    mustBeValidKey(destinationKey);
    mustBeValidKey(sourceKey);
    const owner = caller.claims.sub ?? null;
    // the row moves (its version, so its file, stays): as the caller, so the update policies decide
    const [row] = await this.sql<{ id: string; name: string }>(
      this.userSettings(req, url, caller, "storage.object.move"),
      (p) =>
        `update storage.objects o
         set bucket_id = ${p(2)}, name = ${p(3)}, owner = ${p(4)}::uuid, owner_id = ${p(5)}, last_accessed_at = now()
         where o.bucket_id = ${p(0)} and o.name = ${p(1)}
         returning o.id::text as id, o.name`,
      [bucketId, sourceKey, destinationBucket, destinationKey, owner && isUuid(owner) ? owner : null, owner],
    );
    if (!row) throw ERRORS.NoSuchKey();
    return json(200, { message: "Successfully moved", Id: row.id, Key: row.name });
  }

  private async copy(req: Request, url: URL): Promise<Response> {
    const caller = await this.caller(req, false);
    const body = await readJsonObject(req);
    const bucketId = requiredString(body, "bucketId");
    const sourceKey = requiredString(body, "sourceKey");
    const destinationKey = requiredString(body, "destinationKey");
    const destinationBucket = optionalString(body, "destinationBucket") ?? bucketId;
    const copyMetadata = body.copyMetadata === undefined ? true : body.copyMetadata === true;
    const fileMetadata = (body.metadata ?? {}) as Record<string, unknown>;
    mustBeValidKey(destinationKey);
    const settings = this.userSettings(req, url, caller, "storage.object.copy");
    const source = await this.findObject(settings, bucketId, sourceKey);
    const metadata: Record<string, unknown> = { ...(source.metadata ?? {}) };
    if (!copyMetadata) {
      if (typeof fileMetadata.cacheControl === "string") metadata.cacheControl = fileMetadata.cacheControl;
      if (typeof fileMetadata.mimetype === "string") metadata.mimetype = fileMetadata.mimetype;
    }
    const custom = req.headers.get("x-metadata");
    const userMetadata = copyMetadata
      ? (source.user_metadata ?? undefined)
      : (custom === null ? undefined : parseUserMetadata(custom));
    const upsert = req.headers.get("x-upsert") === "true";
    const owner = caller.claims.sub ?? null;
    if (!source.version) throw ERRORS.NoSuchKey();
    const version = await this.o.files.duplicate(source.version).catch((e) => {
      if (e instanceof Deno.errors.NotFound) throw ERRORS.NoSuchKey();
      throw e;
    });
    metadata.lastModified = new Date().toISOString();
    let written: { id: string; previous: string | null };
    try {
      [written] = await this.writeObject(
        settings,
        destinationBucket,
        destinationKey,
        owner,
        upsert,
        metadata,
        userMetadata,
        version,
      );
    } catch (e) {
      await this.o.files.remove(version);
      throw e instanceof StorageError && e.code === "ResourceAlreadyExists" ? ERRORS.KeyAlreadyExists() : e;
    }
    if (written.previous && written.previous !== version) await this.o.files.remove(written.previous);
    const [dest] = await this.sql<Record<string, unknown>>(
      this.serviceSettings(req, "storage.object.copy"),
      (p) =>
        `select o.name, o.bucket_id, o.owner, o.owner_id, o.version, o.id::text as id, o.updated_at, o.created_at,
           o.last_accessed_at, o.metadata, o.user_metadata
         from storage.objects o where o.id = ${p(0)}::uuid`,
      [written.id],
    );
    return json(200, { Id: written.id, Key: `${destinationBucket}/${destinationKey}`, ...dest });
  }

  private async removeOne(req: Request, url: URL, bucketId: string, name: string): Promise<Response> {
    await req.body?.cancel().catch(() => {});
    const caller = await this.caller(req, false);
    mustBeValidKey(name);
    await this.findObject(this.serviceSettings(req, "storage.object.delete"), bucketId, name);
    const rows = await this.sql<{ version: string | null }>(
      this.userSettings(req, url, caller, "storage.object.delete"),
      (p) => `delete from storage.objects o where o.name = ${p(1)} and o.bucket_id = ${p(0)} returning o.version`,
      [bucketId, name],
    );
    if (!rows.length) throw ERRORS.AccessDenied("Access denied");
    for (const row of rows) await this.o.files.remove(row.version);
    return json(200, { message: "Successfully deleted" });
  }

  private async removeMany(req: Request, url: URL, bucketId: string): Promise<Response> {
    const caller = await this.caller(req, false);
    const body = await readJsonObject(req);
    const prefixes = body.prefixes;
    if (!Array.isArray(prefixes) || prefixes.length < 1 || !prefixes.every((p) => typeof p === "string")) {
      throw ERRORS.Validation("body/prefixes must be a non-empty array of strings");
    }
    if (prefixes.length > MAX_OBJECTS_PER_REQUEST) {
      throw ERRORS.InvalidRequest(
        `Bulk object requests are limited to ${MAX_OBJECTS_PER_REQUEST} objects per request.`,
      );
    }
    const rows = await this.sql<Record<string, unknown> & { version: string | null }>(
      this.userSettings(req, url, caller, "storage.object.delete_many"),
      (p) =>
        `delete from storage.objects o
         where o.bucket_id = ${p(0)} and o.name = any (array(select pg_catalog.jsonb_array_elements_text(${
          p(1)
        }::jsonb)))
         returning o.bucket_id, o.name, o.owner, o.owner_id, o.id::text as id, o.version, o.updated_at, o.created_at,
           o.last_accessed_at, o.metadata, o.user_metadata`,
      [bucketId, JSON.stringify(prefixes)],
    );
    for (const row of rows) await this.o.files.remove(row.version);
    return json(200, rows);
  }

  // ------------------------------------------------------------------ signed URLs

  private async sign(payload: Record<string, unknown>, expiresIn: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return await new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(now)
      .setExpirationTime(now + expiresIn).sign(this.o.key);
  }

  private async signOne(req: Request, url: URL, bucketId: string, name: string): Promise<Response> {
    const caller = await this.caller(req, false);
    const body = await readJsonObject(req);
    const expiresIn = expiresInOf(body);
    await this.findObject(this.userSettings(req, url, caller, "storage.object.sign"), bucketId, name);
    const path = `${bucketId}/${name}`;
    const token = await this.sign({ url: path, scope: "download" }, expiresIn);
    return json(200, { signedURL: `/object/sign/${path}?token=${token}` });
  }

  private async signMany(req: Request, url: URL, bucketId: string): Promise<Response> {
    const caller = await this.caller(req, false);
    const body = await readJsonObject(req);
    const expiresIn = expiresInOf(body);
    const paths = body.paths;
    if (
      !Array.isArray(paths) || paths.length < 1 || paths.length > MAX_OBJECTS_PER_REQUEST ||
      !paths.every((p) => typeof p === "string")
    ) {
      throw ERRORS.Validation(`body/paths must be an array of 1 to ${MAX_OBJECTS_PER_REQUEST} strings`);
    }
    const rows = await this.sql<{ name: string }>(
      this.userSettings(req, url, caller, "storage.object.sign_many"),
      (p) =>
        `select o.name from storage.objects o
         where o.bucket_id = ${p(0)} and o.name = any (array(select pg_catalog.jsonb_array_elements_text(${
          p(1)
        }::jsonb)))`,
      [bucketId, JSON.stringify(paths)],
    );
    const found = new Set(rows.map((r) => r.name));
    const result = [];
    for (const path of paths as string[]) {
      if (found.has(path)) {
        const full = `${bucketId}/${path}`;
        const token = await this.sign({ url: full, scope: "download" }, expiresIn);
        result.push({ error: null, path, signedURL: `/object/sign/${full}?token=${token}` });
      } else {
        result.push({
          error: "Either the object does not exist or you do not have access to it",
          path,
          signedURL: null,
        });
      }
    }
    return json(200, result);
  }

  /** Storage's verifyObjectSignature: signature and expiry, scope, and the object it names. */
  private async verifySigned(
    url: URL,
    bucketId: string,
    name: string,
    scope: "download" | "upload",
  ): Promise<Record<string, unknown>> {
    const token = url.searchParams.get("token");
    if (!token) throw ERRORS.Validation("querystring must have required property 'token'");
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.o.key, { algorithms: ["HS256"] }));
    } catch (e) {
      throw ERRORS.InvalidJWT(e instanceof joseErrors.JOSEError ? e.message : String(e));
    }
    const scoped = scope === "upload"
      ? payload.scope === "upload" || (payload.scope === undefined && "upsert" in payload)
      : payload.scope === "download" || (payload.scope === undefined && !("upsert" in payload));
    if (!scoped) throw ERRORS.InvalidSignature(`Token is not scoped for ${scope}`);
    if (payload.url !== `${bucketId}/${name}`) throw ERRORS.InvalidSignature();
    if (typeof payload.exp !== "number" || payload.exp * 1000 < Date.now()) throw ERRORS.ExpiredSignature();
    return payload;
  }
}

// -------------------------------------------------------------------- helpers

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function headersJson(req: Request): string {
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => headers[k] = v);
  return JSON.stringify(headers);
}

/** A path parameter, percent-decoded as Fastify decodes it. */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw ERRORS.InvalidKey(segment);
  }
}

function mustBeValidKey(key: string): void {
  if (!key || !VALID_OBJECT_KEY.test(key)) throw ERRORS.InvalidKey(key);
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** Storage's validateMimeType: type/subtype against the allowlist, where type/* allows the whole type. */
export function validateMimeType(mimeType: string, allowed: string[]): void {
  const requested = mimeType.split("/");
  if (requested.length < 2) throw ERRORS.InvalidMimeType(mimeType);
  const [type, ext] = requested;
  for (const entry of allowed) {
    const [allowedType, allowedExt] = entry.split("/");
    if (allowedType === type && (allowedExt === "*" || allowedExt === ext)) return;
  }
  throw ERRORS.InvalidMimeType(mimeType);
}

/** x-metadata: base64 of a JSON object; anything else is ignored, as Storage ignores it. */
function parseUserMetadata(header: string): Record<string, unknown> | undefined {
  try {
    const text = new TextDecoder().decode(Uint8Array.from(atob(header), (c) => c.charCodeAt(0)));
    return parseJsonObject(text);
  } catch {
    return undefined;
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const bytes = await readBody(req, MAX_JSON_BODY);
  if (bytes.byteLength === 0) throw ERRORS.Validation("body must be object");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw ERRORS.Validation("Body is not valid JSON but content-type is set to 'application/json'");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw ERRORS.Validation("body must be object");
  }
  return value as Record<string, unknown>;
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== "string") throw ERRORS.Validation(`body must have required property '${name}'`);
  return value;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw ERRORS.Validation(`body/${name} must be string`);
  return value;
}

function optionalInteger(body: Record<string, unknown>, name: string, minimum: number): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw ERRORS.Validation(`body/${name} must be integer`);
  if (value < minimum) throw ERRORS.Validation(`body/${name} must be >= ${minimum}`);
  return value;
}

function expiresInOf(body: Record<string, unknown>): number {
  if (body.expiresIn === undefined) throw ERRORS.Validation("body must have required property 'expiresIn'");
  const value = optionalInteger(body, "expiresIn", 1)!;
  if (value > 2 ** 31) throw ERRORS.InvalidParameter("expiresIn");
  return value;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` within the size; null when unsatisfiable. */
function parseRange(header: string, size: number): [number, number] | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let from: number;
  let to: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    from = Math.max(size - n, 0);
    to = size - 1;
  } else {
    from = Number(m[1]);
    to = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (from > to || from >= size) return null;
  return [from, to];
}

/** A file's bytes from its current position, `length` of them, then closed. */
function limitStream(file: Deno.FsFile, length: number): ReadableStream<Uint8Array> {
  let left = length;
  return new ReadableStream({
    async pull(controller) {
      if (left <= 0) {
        file.close();
        controller.close();
        return;
      }
      const buffer = new Uint8Array(Math.min(left, 64 * 1024));
      const n = await file.read(buffer);
      if (n === null || n === 0) {
        file.close();
        controller.close();
        return;
      }
      left -= n;
      controller.enqueue(buffer.subarray(0, n));
    },
    cancel() {
      file.close();
    },
  });
}
