/**
 * A multipart/form-data upload, read as Supabase Storage reads it (@fastify/multipart over
 * @fastify/busboy, the parser used here too): the form fields before the first file (supabase-js
 * sends cacheControl and metadata, then the file), and that file as a stream, never buffered whole.
 */
import { Busboy } from "@fastify/busboy";
import { Readable } from "node:stream";

export interface MultipartFile {
  fields: Record<string, string>;
  /** The part's Content-Type (application/octet-stream when it has none). */
  mimeType: string;
  stream: ReadableStream<Uint8Array>;
}

/** The fields and first file of a multipart body; null when it holds no file. */
export function readMultipart(req: Request): Promise<MultipartFile | null> {
  const contentType = req.headers.get("content-type") ?? "";
  return new Promise((resolve, reject) => {
    let settled = false;
    const fields: Record<string, string> = {};
    let parser;
    try {
      parser = Busboy({ headers: { "content-type": contentType }, limits: { fields: 10, files: 1 } });
    } catch (e) {
      reject(e);
      return;
    }
    parser.on("field", (name: string, value: string) => {
      if (!settled) fields[name] = value;
    });
    parser.on("file", (_field: string, stream: Readable, _filename: string, _encoding: string, mimeType: string) => {
      if (settled) {
        stream.resume();
        return;
      }
      settled = true;
      resolve({
        fields,
        mimeType: mimeType || "application/octet-stream",
        stream: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
      });
    });
    parser.on("finish", () => {
      if (!settled) {
        settled = true;
        resolve(null);
      }
    });
    parser.on("error", (e: unknown) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    if (!req.body) {
      parser.end();
      return;
    }
    Readable.fromWeb(req.body as import("node:stream/web").ReadableStream).on("error", (e) => parser.destroy(e)).pipe(
      parser,
    );
  });
}
