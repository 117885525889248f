/**
 * Request validation with zod. A request that does not fit its schema is answered 400 with every
 * issue (where, what):
 *
 *   { "error": "Invalid request body: chat_id: Invalid UUID", "code": "INVALID_REQUEST",
 *     "issues": [{ "path": ["chat_id"], "message": "Invalid UUID", "code": "invalid_format" }] }
 *
 * A body that is not JSON is a 400 INVALID_JSON. `issuesOf`/`describeIssues` serve other
 * boundaries too (a provider's answer checked with safeParse), where a mismatch is no 400.
 */
import { z } from "zod";
import { HttpError } from "./errors.ts";

/** One problem: the field's path (keys and array indexes; [] for the value itself), a message, zod's code. */
export interface Issue {
  path: (string | number)[];
  message: string;
  code: string;
}

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((key) => (typeof key === "number" ? key : String(key))),
    message: issue.message,
    code: issue.code,
  }));
}

/** `chat_id: Invalid UUID; items.0.text: Too small…`, for a message or a log line. */
export function describeIssues(issues: Issue[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/** A 400 carrying the issues. */
export class ValidationError extends HttpError {
  constructor(readonly issues: Issue[], what = "request") {
    super(400, `Invalid ${what}: ${describeIssues(issues)}`, { code: "INVALID_REQUEST", extra: { issues } });
    this.name = "ValidationError";
  }
}

/** `value` parsed by `schema`, or a ValidationError (400). `what` names the value in the message. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = "request"): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(issuesOf(result.error), what);
  return result.data;
}

/**
 * The request's JSON body parsed by `schema` (async refinements allowed). An empty body is
 * `undefined`, for the schema to refuse or default; a body that is not JSON is a 400.
 */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  const text = await req.text();
  let value: unknown = undefined;
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, "The request body is not valid JSON", { code: "INVALID_JSON" });
    }
  }
  const result = await schema.safeParseAsync(value);
  if (!result.success) throw new ValidationError(issuesOf(result.error), "request body");
  return result.data;
}

/**
 * The query string parsed by `schema`: an object of strings, a repeated key an array of them
 * (use `z.coerce` for numbers and booleans).
 */
export function readQuery<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const params = new URL(req.url).searchParams;
  const value: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    value[key] = all.length === 1 ? all[0] : all;
  }
  return validate(schema, value, "query");
}
