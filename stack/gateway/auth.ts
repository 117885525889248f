/**
 * `/auth/v1`: the email/password subset of Supabase Auth (GoTrue), for local development only: no
 * email is ever sent, signups are confirmed at once (as with `enable_confirmations = false`), and
 * there is no rate limiting.
 *
 * POST /signup, POST /token?grant_type=password|refresh_token, GET /user, PUT /user (user_metadata
 * and password), POST /logout?scope=global|local|others, GET /settings, GET /health. Responses and
 * errors have GoTrue's shapes: sessions `{ access_token, token_type, expires_in, expires_at,
 * refresh_token, user }`, errors `{ code, error_code, msg }` (or `{ code, message }` for clients that
 * send `X-Supabase-Api-Version: 2024-01-01`, as supabase-js does) with GoTrue's error codes.
 */
import type { AuthSettings } from "../cli/config.ts";
import type { Db } from "../db/client.ts";
import { isPgError } from "../db/client.ts";
import * as store from "./auth-store.ts";
import type { Executor } from "./executor.ts";
import {
  bearerToken,
  BodyReadError,
  BodyTooLargeError,
  decodeUtf8,
  jsonNestedDeeperThan,
  jsonResponse,
  MAX_JSON_DEPTH,
  mediaType,
  readBody,
} from "./http.ts";
import { type JwtClaims, JwtError, type JwtVerifier, signJwt } from "./jwt.ts";
import type { Keys } from "./keys.ts";

export interface AuthOptions {
  executor: Executor;
  keys: Keys;
  verifier: JwtVerifier;
  settings: AuthSettings;
  /** The gateway's public URL (the tokens' issuer is `<url>/auth/v1`). */
  url: () => string;
  maxBodyBytes: number;
}

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const API_VERSION = "2024-01-01";

export async function handleAuth(
  req: Request,
  url: URL,
  path: string,
  client: { ip: string | null },
  o: AuthOptions,
): Promise<Response> {
  try {
    return withVersion(await route(req, url, path, client, o));
  } catch (e) {
    if (e instanceof AuthError) return authErrorResponse(req, e);
    throw e;
  }
}

async function route(
  req: Request,
  url: URL,
  path: string,
  client: { ip: string | null },
  o: AuthOptions,
): Promise<Response> {
  const method = req.method;
  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) throw new AuthError(405, "method_not_allowed", `Method ${method} not allowed`);
  };
  const clientInfo = { userAgent: req.headers.get("user-agent"), ip: client.ip };
  switch (path) {
    case "/health":
      allow("GET", "HEAD");
      return jsonResponse(200, {
        version: "parley-local",
        name: "GoTrue",
        description: "Parley's local subset of Supabase Auth: email and password, for development only",
      });
    case "/settings":
      allow("GET", "HEAD");
      return jsonResponse(200, {
        external: { email: o.settings.emailSignup, phone: false, anonymous_users: false },
        disable_signup: !o.settings.enableSignup,
        mailer_autoconfirm: true,
        phone_autoconfirm: false,
        sms_provider: "",
        saml_enabled: false,
      });
    case "/signup":
      allow("POST");
      return await signup(await readJson(req, o.maxBodyBytes), clientInfo, o);
    case "/token": {
      allow("POST");
      const grant = url.searchParams.get("grant_type");
      const body = await readJson(req, o.maxBodyBytes);
      if (grant === "password") return await passwordGrant(body, clientInfo, o);
      if (grant === "refresh_token") return await refreshGrant(body, o);
      throw new AuthError(400, "validation_failed", "unsupported_grant_type", {
        hint: "The local gateway supports grant_type=password and grant_type=refresh_token.",
      });
    }
    case "/user": {
      allow("GET", "PUT");
      if (method === "GET") {
        const { user } = await o.executor.db.transaction((db) => requireUser(req, db, o));
        return jsonResponse(200, userJson(user));
      }
      return await updateUser(req, await readJson(req, o.maxBodyBytes), o);
    }
    case "/logout": {
      allow("POST");
      const scope = url.searchParams.get("scope") ?? "global";
      if (scope !== "global" && scope !== "local" && scope !== "others") {
        throw new AuthError(400, "validation_failed", `Unsupported logout scope "${scope}"`);
      }
      await o.executor.db.transaction(async (db) => {
        const { user, claims } = await requireUser(req, db, o);
        await store.deleteSessions(
          db,
          user.id,
          typeof claims.session_id === "string" ? claims.session_id : null,
          scope,
        );
      });
      return new Response(null, { status: 204 });
    }
    default:
      throw new AuthError(
        404,
        "not_found",
        `The local gateway does not implement ${path} of Supabase Auth`,
        { hint: "It implements /signup, /token (password, refresh_token), /user, /logout, /settings, /health." },
      );
  }
}

// ---------------------------------------------------------------- flows

async function signup(body: Record<string, unknown>, client: ClientInfo, o: AuthOptions): Promise<Response> {
  if (!o.settings.enableSignup) throw new AuthError(422, "signup_disabled", "Signups not allowed for this instance");
  if (body.email === undefined && body.phone !== undefined) {
    throw new AuthError(400, "phone_provider_disabled", "Phone signups are disabled");
  }
  if (!o.settings.emailSignup) throw new AuthError(422, "email_provider_disabled", "Email signups are disabled");
  const email = validEmail(body.email);
  if (typeof body.password !== "string" || body.password === "") {
    throw new AuthError(422, "validation_failed", "Signup requires a valid password");
  }
  const password = validPassword(body.password, o.settings);
  const data = body.data ?? {};
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new AuthError(400, "validation_failed", "data must be a JSON object");
  }
  const id = crypto.randomUUID();
  // Supabase Auth merges the identity's data into user_metadata
  const userMetadata = { ...data, sub: id, email, email_verified: true, phone_verified: false };
  const result = await o.executor.db.transaction(async (db) => {
    if (await store.userByEmail(db, email)) return null;
    await store.createUser(db, { id, email, password, userMetadata });
    return await startSession(db, id, client);
  }).catch((e) => {
    // a signup of the same email that committed first (the unique index on auth.users.email)
    if (isPgError(e) && e.code === "23505") return null;
    if (isPgError(e)) throw new AuthError(500, "unexpected_failure", "Database error saving new user");
    throw e;
  });
  if (!result) throw new AuthError(422, "user_already_exists", "User already registered");
  return jsonResponse(200, await sessionJson(result, o));
}

async function passwordGrant(body: Record<string, unknown>, client: ClientInfo, o: AuthOptions): Promise<Response> {
  if (body.email === undefined && body.phone !== undefined) {
    throw new AuthError(400, "phone_provider_disabled", "Phone logins are disabled");
  }
  if (typeof body.email !== "string" || body.email.trim() === "") {
    throw new AuthError(400, "validation_failed", "missing email or phone");
  }
  const email = body.email.trim().toLowerCase();
  const password = typeof body.password === "string" ? body.password : "";
  const result = await o.executor.db.transaction(async (db) => {
    const user = await store.userByEmail(db, email);
    const ok = await store.passwordMatches(db, user?.id ?? null, password);
    if (!user || !ok) return { error: new AuthError(400, "invalid_credentials", "Invalid login credentials") };
    if (!user.email_confirmed_at) return { error: new AuthError(400, "email_not_confirmed", "Email not confirmed") };
    if (isBanned(user)) return { error: new AuthError(400, "user_banned", "User is banned") };
    await store.recordSignIn(db, user.id);
    return { session: await startSession(db, user.id, client) };
  });
  if ("error" in result) throw result.error;
  return jsonResponse(200, await sessionJson(result.session, o));
}

async function refreshGrant(body: Record<string, unknown>, o: AuthOptions): Promise<Response> {
  const token = body.refresh_token;
  if (typeof token !== "string" || token === "") {
    throw new AuthError(400, "validation_failed", "refresh_token required");
  }
  const result = await o.executor.db.transaction(async (db) => {
    const outcome = await store.rotateRefreshToken(db, token, o.settings.refreshTokenReuseInterval);
    if (!outcome.ok) return outcome;
    const user = await store.userById(db, outcome.session.user_id);
    if (!user) return { ok: false as const, reason: "not_found" as const };
    if (isBanned(user)) return { ok: false as const, reason: "banned" as const };
    return { ok: true as const, value: { user, session: outcome.session, refreshToken: outcome.refreshToken } };
  });
  // a replay's revocation is committed before the error is answered
  if (!result.ok) {
    if (result.reason === "reused") {
      throw new AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
    }
    if (result.reason === "banned") throw new AuthError(400, "user_banned", "User is banned");
    throw new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
  }
  return jsonResponse(200, await sessionJson(result.value, o));
}

async function updateUser(req: Request, body: Record<string, unknown>, o: AuthOptions): Promise<Response> {
  const user = await o.executor.db.transaction(async (db) => {
    const { user, claims } = await requireUser(req, db, o);
    if (typeof body.email === "string" && body.email.trim().toLowerCase() !== (user.email ?? "")) {
      throw new AuthError(
        422,
        "validation_failed",
        "Changing the email address is not supported by the local gateway",
      );
    }
    if (typeof body.phone === "string" && body.phone !== (user.phone ?? "")) {
      throw new AuthError(422, "validation_failed", "Changing the phone number is not supported by the local gateway");
    }
    if (body.data !== undefined) {
      if (typeof body.data !== "object" || body.data === null || Array.isArray(body.data)) {
        throw new AuthError(400, "validation_failed", "data must be a JSON object");
      }
      await store.updateUserMetadata(db, user.id, body.data as Record<string, unknown>);
    }
    if (body.password !== undefined) {
      if (typeof body.password !== "string") throw new AuthError(400, "validation_failed", "password must be a string");
      const password = validPassword(body.password, o.settings);
      if (await store.passwordMatches(db, user.id, password)) {
        throw new AuthError(422, "same_password", "New password should be different from the old password.");
      }
      await store.updatePassword(db, user.id, password);
      // As Supabase Auth does: a new password signs out every other session of the user (their
      // refresh tokens go with them); the session that changed it stays signed in.
      const sessionId = typeof claims.session_id === "string" ? claims.session_id : null;
      await store.deleteSessions(db, user.id, sessionId, sessionId ? "others" : "global");
    }
    return (await store.userById(db, user.id))!;
  });
  return jsonResponse(200, userJson(user));
}

// ---------------------------------------------------------------- pieces

type ClientInfo = { userAgent: string | null; ip: string | null };
type Started = { user: store.UserRow; session: store.SessionRow; refreshToken: string };

async function startSession(db: Db, userId: string, client: ClientInfo): Promise<Started> {
  const { session, refreshToken } = await store.createSession(db, userId, client);
  const user = (await store.userById(db, userId))!;
  return { user, session, refreshToken };
}

/** The signed-in user of a request's bearer token, as GoTrue checks it. */
async function requireUser(
  req: Request,
  db: Db,
  o: AuthOptions,
): Promise<{ user: store.UserRow; claims: JwtClaims }> {
  const token = bearerToken(req);
  if (!token) throw new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token");
  let claims: JwtClaims;
  try {
    claims = await o.verifier.verify(token);
  } catch (e) {
    if (!(e instanceof JwtError)) throw e;
    const reason = e.problem === "expired" ? "token has invalid claims: token is expired" : e.message;
    throw new AuthError(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${reason}`);
  }
  if (typeof claims.sub !== "string" || !/^[0-9a-f-]{36}$/i.test(claims.sub)) {
    throw new AuthError(403, "bad_jwt", "invalid claim: missing sub claim");
  }
  if (claims.session_id !== undefined) {
    const session = typeof claims.session_id === "string" && /^[0-9a-f-]{36}$/i.test(claims.session_id)
      ? await store.sessionById(db, claims.session_id)
      : null;
    if (!session) {
      throw new AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist");
    }
  }
  const user = await store.userById(db, claims.sub);
  if (!user) throw new AuthError(404, "user_not_found", "User from sub claim in JWT does not exist");
  return { user, claims };
}

async function sessionJson(s: Started, o: AuthOptions) {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + o.settings.jwtExpiry;
  const user = s.user;
  const claims: JwtClaims = {
    aud: user.aud || "authenticated",
    exp,
    iat,
    iss: `${o.url()}/auth/v1`,
    sub: user.id,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role || "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: Math.floor(new Date(s.session.created_at).getTime() / 1000) }],
    session_id: s.session.id,
    is_anonymous: user.is_anonymous === true,
  };
  return {
    access_token: await signJwt(claims, o.keys.key),
    token_type: "bearer",
    expires_in: o.settings.jwtExpiry,
    expires_at: exp,
    refresh_token: s.refreshToken,
    user: userJson(user),
  };
}

function time(v: Date | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : v;
}

function userJson(u: store.UserRow) {
  const identities =
    (typeof u.identities === "string" ? JSON.parse(u.identities) : u.identities) as store.IdentityRow[];
  return {
    id: u.id,
    aud: u.aud ?? "",
    role: u.role ?? "",
    email: u.email ?? "",
    email_confirmed_at: time(u.email_confirmed_at),
    phone: u.phone ?? "",
    ...(u.phone_confirmed_at ? { phone_confirmed_at: time(u.phone_confirmed_at) } : {}),
    confirmed_at: time(u.confirmed_at),
    last_sign_in_at: time(u.last_sign_in_at),
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    identities: identities.map((i) => ({
      identity_id: i.id,
      id: i.provider_id,
      user_id: i.user_id,
      identity_data: i.identity_data,
      provider: i.provider,
      last_sign_in_at: time(i.last_sign_in_at),
      created_at: time(i.created_at),
      updated_at: time(i.updated_at),
      email: i.email,
    })),
    created_at: time(u.created_at),
    updated_at: time(u.updated_at),
    is_anonymous: u.is_anonymous === true,
  };
}

function isBanned(user: store.UserRow): boolean {
  return user.banned_until !== null && new Date(user.banned_until).getTime() > Date.now();
}

// GoTrue's email check: a plausible address of at most 255 characters.
const EMAIL =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

function validEmail(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new AuthError(400, "validation_failed", "An email address is required");
  }
  const email = value.trim().toLowerCase();
  if (email.length > 255 || !EMAIL.test(email)) {
    throw new AuthError(400, "validation_failed", "Unable to validate email address: invalid format");
  }
  return email;
}

function validPassword(password: string, settings: AuthSettings): string {
  if ([...password].length < settings.minimumPasswordLength) {
    throw new AuthError(
      422,
      "weak_password",
      `Password should be at least ${settings.minimumPasswordLength} characters.`,
      { weak_password: { reasons: ["length"] } },
    );
  }
  // bcrypt reads 72 bytes at most: a longer password would be silently cut
  if (new TextEncoder().encode(password).length > 72) {
    throw new AuthError(422, "validation_failed", "Password cannot be longer than 72 characters");
  }
  if (password.includes("\u0000")) throw new AuthError(422, "validation_failed", "Password contains a NUL character");
  return password;
}

async function readJson(req: Request, limit: number): Promise<Record<string, unknown>> {
  let bytes: Uint8Array;
  try {
    bytes = await readBody(req, limit);
  } catch (e) {
    if (e instanceof BodyTooLargeError) {
      throw new AuthError(413, "request_too_large", `Request body larger than ${limit} bytes`);
    }
    if (e instanceof BodyReadError) throw new AuthError(400, "bad_json", "Could not read the request body");
    throw e;
  }
  const text = decodeUtf8(bytes);
  if (text === null) throw new AuthError(400, "bad_json", "Could not parse request body as JSON: invalid UTF-8");
  if (mediaType(req.headers.get("content-type")) === "application/x-www-form-urlencoded") {
    return Object.fromEntries(new URLSearchParams(text));
  }
  if (text.trim() === "") return {};
  if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new AuthError(400, "bad_json", `Could not parse request body as JSON: nested deeper than ${MAX_JSON_DEPTH}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AuthError(400, "bad_json", `Could not parse request body as JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AuthError(400, "bad_json", "Could not parse request body as JSON: expected an object");
  }
  return value as Record<string, unknown>;
}

function withVersion(res: Response): Response {
  res.headers.set("x-supabase-api-version", API_VERSION);
  return res;
}

function authErrorResponse(req: Request, e: AuthError): Response {
  const asked = req.headers.get("x-supabase-api-version");
  const modern = asked !== null && /^\d{4}-\d{2}-\d{2}$/.test(asked) && asked >= API_VERSION;
  const body = modern
    ? { code: e.code, message: e.message, ...e.extra }
    : { code: e.status, error_code: e.code, msg: e.message, ...e.extra };
  const res = jsonResponse(e.status, body);
  if (modern) res.headers.set("x-supabase-api-version", API_VERSION);
  return res;
}
