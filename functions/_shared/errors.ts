/**
 * Function responses: JSON with the CORS headers; a user's mistake is an HttpError with its status
 * and message; anything else is logged and answered with a generic 500.
 */
import { corsHeaders } from "./cors.ts";

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "Content-Type": "application/json", ...headers },
  });
}

export function errorResponse(e: unknown): Response {
  if (e instanceof HttpError) return json(e.status, { error: e.message, ...(e.code ? { code: e.code } : {}) });
  console.error(e);
  return json(500, { error: "Internal error" });
}
