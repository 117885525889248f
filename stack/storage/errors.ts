/**
 * Supabase Storage's errors (supabase/storage src/internal/errors/codes.ts, storage-error.ts and
 * src/http/error-handler.ts), as the local Storage API answers them: the body is
 * `{ statusCode: "<status as text>", code, error, message }`, and the HTTP status is 400 for every
 * error but a 500 (Storage answers with its `userStatusCode`, which is 400 unless the error is a
 * 500), so supabase-js's StorageApiError has `status` 400 and `statusCode` "404", "413", "415"…
 */
import { isPgError } from "../db/client.ts";

export class StorageError extends Error {
  constructor(
    /** The status the body names (its statusCode). */
    readonly httpStatusCode: number,
    readonly code: string,
    message: string,
    /** The body's `error` (Storage's backward-compatible error name); the code when absent. */
    readonly error?: string,
    /** The HTTP status sent, when not Storage's usual 400 (or 500). */
    readonly userStatusCode?: number,
  ) {
    super(message);
  }

  get body() {
    return {
      statusCode: String(this.httpStatusCode),
      code: this.code,
      error: this.error ?? this.code,
      message: this.message,
    };
  }

  get status(): number {
    return this.userStatusCode ?? (this.httpStatusCode === 500 ? 500 : 400);
  }
}

/** The errors the local Storage API gives, with Storage's codes, statuses and messages. */
export const ERRORS = {
  NoSuchBucket: () => new StorageError(404, "NoSuchBucket", "Bucket not found", "Bucket not found"),
  NoSuchKey: () => new StorageError(404, "NoSuchKey", "Object not found", "not_found"),
  InvalidKey: (key: string) => new StorageError(400, "InvalidKey", `Invalid key: ${key}`),
  InvalidBucketName: () => new StorageError(400, "InvalidBucketName", "Bucket name invalid", "Invalid Input"),
  AccessDenied: (message: string, userStatusCode?: number) =>
    new StorageError(403, "AccessDenied", message || "Access denied", "Unauthorized", userStatusCode),
  KeyAlreadyExists: () => new StorageError(409, "KeyAlreadyExists", "The resource already exists", "Duplicate"),
  ResourceAlreadyExists: () =>
    new StorageError(409, "ResourceAlreadyExists", "The resource already exists", "Duplicate"),
  EntityTooLarge: (entity = "object", limit = "the maximum allowed size") =>
    new StorageError(413, "EntityTooLarge", `The ${entity} exceeded ${limit}`, "Payload too large"),
  InvalidMimeType: (mimeType: string) =>
    new StorageError(415, "InvalidMimeType", `mime type ${mimeType} is not supported`, "invalid_mime_type"),
  InvalidJWT: (message?: string) => new StorageError(400, "InvalidJWT", message || "Invalid JWT"),
  InvalidSignature: (message?: string) => new StorageError(400, "InvalidSignature", message || "Invalid signature"),
  ExpiredSignature: () => new StorageError(400, "ExpiredToken", "The provided token has expired."),
  InvalidRequest: (message: string) => new StorageError(400, "InvalidRequest", message || "Invalid Request"),
  InvalidParameter: (parameter: string, message?: string) =>
    new StorageError(400, "InvalidParameter", message || `Invalid Parameter ${parameter}`),
  NoContentProvided: (message?: string) => new StorageError(400, "InvalidRequest", message || "No content provided"),
  InvalidRange: () => new StorageError(400, "InvalidRange", "invalid range provided", "invalid_range"),
  DatabaseTimeout: () =>
    new StorageError(544, "DatabaseTimeout", "The connection to the database timed out", undefined, 544),
  ResourceLocked: () => new StorageError(423, "ResourceLocked", "The resource is locked"),
  InternalError: (message?: string) => new StorageError(500, "InternalError", message || "Internal server error"),
  /** Fastify's schema validation, as Storage answers it. */
  Validation: (message: string) => new StorageError(400, "InvalidRequest", message, "Bad Request"),
};

/** A database error as Storage maps it (supabase/storage src/storage/database/errors.ts). */
export function fromDatabaseError(e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  if (!isPgError(e)) {
    return ERRORS.InternalError(e instanceof Error ? e.message : String(e));
  }
  switch (e.code) {
    case "42501":
      return ERRORS.AccessDenied(
        e.message.includes("row-level security") ? "new row violates row-level security policy" : e.message,
      );
    case "23505":
      return ERRORS.ResourceAlreadyExists();
    case "23503":
      return new StorageError(404, "InvalidRequest", "The related resource does not exist");
    case "55P03":
      return ERRORS.ResourceLocked();
    case "57014":
      return ERRORS.DatabaseTimeout();
    case "22P02":
      return ERRORS.InvalidParameter("value", e.message || "Invalid value format or type conversion failed");
    default:
      return new StorageError(500, "DatabaseError", `database error, code: ${e.code}`);
  }
}

export function errorResponse(e: StorageError, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(e.body), { status: e.status, headers: h });
}
