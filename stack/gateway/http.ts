/** HTTP helpers shared by the gateway's services: bounded body reading, strict UTF-8, JSON answers. */

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number, readonly received: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/** The client went away (or its body stream broke) while the body was being read. */
export class BodyReadError extends Error {}

/** The request's Content-Length, when it is a well-formed number. */
export function declaredLength(req: Request): number | null {
  const header = req.headers.get("content-length");
  return header !== null && /^\d+$/.test(header) ? Number(header) : null;
}

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length above the limit is
 * refused before reading; a body that grows past it is cut off as soon as it does.
 */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = declaredLength(req);
  if (declared !== null && declared > limit) {
    await req.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(limit, declared);
  }
  if (declared !== null) {
    // The length is known and within the limit (the HTTP server never reads past it): one read,
    // without a stream reader (much of a small request's cost).
    try {
      return await req.bytes();
    } catch (e) {
      throw new BodyReadError(e instanceof Error ? e.message : String(e));
    }
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(limit, size);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw e;
    throw new BodyReadError(e instanceof Error ? e.message : String(e));
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes UTF-8, refusing invalid byte sequences (null when invalid). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * How deeply a request body's JSON may nest. Postgres parses what the gateway passes on, and a
 * deeply nested document (a 20 KB array of arrays) breaks PGlite's backend; nothing a client
 * sends to Parley nests anywhere near this.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether JSON text nests arrays and objects deeper than `max` (a linear scan; strings skipped). */
export function jsonNestedDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function jsonResponse(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** Hop-by-hop headers, never forwarded by a proxy (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** The media type of a Content-Type header, lowercased, without parameters. */
export function mediaType(header: string | null): string | null {
  if (header === null) return null;
  return header.split(";")[0].trim().toLowerCase();
}

/** The parameters of a header value such as `application/json; charset=utf-8`. */
export function headerParams(header: string | null): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of (header ?? "").split(";").slice(1)) {
    const eq = part.indexOf("=");
    if (eq > 0) params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"|"$/g, "");
  }
  return params;
}

/** The bearer token of an Authorization header; undefined when absent, null when not a bearer. */
export function bearerToken(req: Request): string | null | undefined {
  const header = req.headers.get("authorization");
  if (header === null) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}
