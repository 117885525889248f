/**
 * The Auth server's storage: auth.users, auth.identities, auth.sessions and auth.refresh_tokens,
 * reached through the gateway's own (superuser) connection, as Supabase Auth reaches them with its
 * admin role. Passwords are hashed by pgcrypto (`crypt` with a bcrypt salt); refresh tokens are
 * stored as SHA-256 hashes only, so the table never holds a usable token.
 */
import type { Db } from "../db/client.ts";
import { base64url } from "./jwt.ts";

export interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  email: string | null;
  last_sign_in_at: Date | string | null;
  created_at: Date | string | null;
  updated_at: Date | string | null;
}

export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Date | string | null;
  phone_confirmed_at: Date | string | null;
  confirmed_at: Date | string | null;
  last_sign_in_at: Date | string | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  banned_until: Date | string | null;
  created_at: Date | string | null;
  updated_at: Date | string | null;
  is_anonymous: boolean;
  identities: IdentityRow[] | string;
}

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date | string;
}

const USER_COLUMNS = `u.id, u.aud, u.role, u.email, u.phone, u.email_confirmed_at, u.phone_confirmed_at, u.confirmed_at,
  u.last_sign_in_at, u.raw_app_meta_data, u.raw_user_meta_data, u.banned_until, u.created_at, u.updated_at,
  u.is_anonymous,
  coalesce((select pg_catalog.json_agg(i order by i.created_at, i.id) from auth.identities i where i.user_id = u.id),
           '[]') as identities`;

/** A bcrypt hash of nothing in particular, checked when the email is unknown so timing tells nothing. */
const DUMMY_HASH = "$2a$06$tYbmWBsM6D7.UYFQb2HVeOvz0MZyhxzAWiwlL.FSeLAt34lrzPmdi";

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function newRefreshToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function userById(db: Db, id: string): Promise<UserRow | null> {
  const [row] = await db.query<UserRow>(`select ${USER_COLUMNS} from auth.users u where u.id = $1::uuid`, [id]);
  return row ?? null;
}

export async function userByEmail(db: Db, email: string): Promise<UserRow | null> {
  // emails are stored lowercased; the partial unique index users_email_partial_key serves this
  const [row] = await db.query<UserRow>(
    `select ${USER_COLUMNS} from auth.users u where u.email = $1 and u.is_sso_user = false and u.deleted_at is null`,
    [email],
  );
  return row ?? null;
}

/** Whether `password` matches the user's hash; runs a dummy comparison for unknown users. */
export async function passwordMatches(db: Db, userId: string | null, password: string): Promise<boolean> {
  if (userId === null) {
    await db.query(`select extensions.crypt($1, $2)`, [password, DUMMY_HASH]);
    return false;
  }
  const [row] = await db.query<{ ok: boolean }>(
    `select coalesce(u.encrypted_password = extensions.crypt($2, u.encrypted_password), false) as ok
     from auth.users u where u.id = $1::uuid`,
    [userId, password],
  );
  return row?.ok === true;
}

/** A confirmed email user with its email identity; the on_auth_user_created trigger does the rest. */
export async function createUser(
  db: Db,
  user: { id: string; email: string; password: string; userMetadata: Record<string, unknown> },
): Promise<void> {
  await db.query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
       last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous)
     values ('00000000-0000-0000-0000-000000000000', $1::uuid, 'authenticated', 'authenticated', $2,
       extensions.crypt($3, extensions.gen_salt('bf')), now(), now(),
       '{"provider": "email", "providers": ["email"]}', $4::text::jsonb, now(), now(), false)`,
    [user.id, user.email, user.password, JSON.stringify(user.userMetadata)],
  );
  // confirmed at once (no email is sent locally), so the identity is verified too
  const identityData = { sub: user.id, email: user.email, email_verified: true, phone_verified: false };
  await db.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
     values ($1::text, $1::text::uuid, $2::text::jsonb, 'email', now(), now(), now())`,
    [user.id, JSON.stringify(identityData)],
  );
}

export async function recordSignIn(db: Db, userId: string): Promise<void> {
  await db.query(`update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1::uuid`, [userId]);
  await db.query(
    `update auth.identities set last_sign_in_at = now(), updated_at = now() where user_id = $1::uuid and provider = 'email'`,
    [userId],
  );
}

/** A new session and its first refresh token (returned in clear, stored hashed). */
export async function createSession(
  db: Db,
  userId: string,
  client: { userAgent: string | null; ip: string | null },
): Promise<{ session: SessionRow; refreshToken: string }> {
  const [session] = await db.query<SessionRow>(
    `insert into auth.sessions (id, user_id, user_agent, ip) values ($1::uuid, $2::uuid, $3, $4::inet)
     returning id, user_id, created_at`,
    [crypto.randomUUID(), userId, client.userAgent, client.ip],
  );
  const refreshToken = await issueRefreshToken(db, session.id, userId, null);
  return { session, refreshToken };
}

async function issueRefreshToken(db: Db, sessionId: string, userId: string, parent: string | null): Promise<string> {
  const token = newRefreshToken();
  await db.query(
    `insert into auth.refresh_tokens (token, user_id, parent, session_id) values ($1, $2, $3, $4::uuid)`,
    [await sha256Hex(token), userId, parent, sessionId],
  );
  return token;
}

export type RefreshOutcome =
  | { ok: true; session: SessionRow; refreshToken: string }
  | { ok: false; reason: "not_found" | "reused" };

/**
 * Rotates a refresh token: the presented one is revoked and a child is issued. A revoked token
 * presented again within `reuseInterval` seconds of its rotation (two tabs refreshing at once) gets a
 * fresh child of the session's current token; presented later, it is a replay: the whole session
 * is revoked (deleted, with its tokens).
 */
export async function rotateRefreshToken(db: Db, token: string, reuseInterval: number): Promise<RefreshOutcome> {
  const hash = await sha256Hex(token);
  const [row] = await db.query<{
    id: string;
    revoked: boolean;
    session_id: string | null;
    user_id: string;
    within_reuse: boolean;
  }>(
    `select rt.id::text, rt.revoked, rt.session_id, rt.user_id,
       rt.updated_at > now() - make_interval(secs => $2) as within_reuse
     from auth.refresh_tokens rt where rt.token = $1 for update`,
    [hash, reuseInterval],
  );
  if (!row || !row.session_id) return { ok: false, reason: "not_found" };
  // lock the session: concurrent refreshes of one session take turns
  const [session] = await db.query<SessionRow>(
    `select id, user_id, created_at from auth.sessions where id = $1::uuid for update`,
    [row.session_id],
  );
  if (!session) return { ok: false, reason: "not_found" };
  if (row.revoked && !row.within_reuse) {
    await db.query(`delete from auth.sessions where id = $1::uuid`, [session.id]);
    return { ok: false, reason: "reused" };
  }
  let parent = hash;
  if (row.revoked) {
    // the session's current token is rotated in its place
    const [current] = await db.query<{ token: string }>(
      `select token from auth.refresh_tokens where session_id = $1::uuid and not revoked order by id desc limit 1`,
      [session.id],
    );
    if (current) parent = current.token;
  }
  await db.query(
    `update auth.refresh_tokens set revoked = true, updated_at = now()
     where session_id = $1::uuid and (token = $2 or token = $3) and not revoked`,
    [session.id, hash, parent],
  );
  await db.query(`update auth.sessions set updated_at = now() where id = $1::uuid`, [session.id]);
  const refreshToken = await issueRefreshToken(db, session.id, session.user_id, parent);
  return { ok: true, session, refreshToken };
}

export async function sessionById(db: Db, id: string): Promise<SessionRow | null> {
  const [row] = await db.query<SessionRow>(`select id, user_id, created_at from auth.sessions where id = $1::uuid`, [
    id,
  ]);
  return row ?? null;
}

/** Signs out: `global` every session of the user, `local` this one, `others` all but this one. */
export async function deleteSessions(
  db: Db,
  userId: string,
  sessionId: string | null,
  scope: "global" | "local" | "others",
): Promise<void> {
  if (scope === "global") {
    await db.query(`delete from auth.sessions where user_id = $1::uuid`, [userId]);
  } else if (sessionId) {
    await db.query(
      `delete from auth.sessions where user_id = $1::uuid and ${
        scope === "local" ? "id = $2::uuid" : "id <> $2::uuid"
      }`,
      [userId, sessionId],
    );
  }
}

/** Merges metadata as Supabase Auth does: given keys replace, keys given as null are removed. */
export async function updateUserMetadata(db: Db, userId: string, data: Record<string, unknown>): Promise<void> {
  const removed = Object.keys(data).filter((k) => data[k] === null);
  const set = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
  await db.query(
    `update auth.users
     set raw_user_meta_data = (coalesce(raw_user_meta_data, '{}') || $2::text::jsonb)
       - array(select jsonb_array_elements_text($3::text::jsonb)),
       updated_at = now()
     where id = $1::uuid`,
    [userId, JSON.stringify(set), JSON.stringify(removed)],
  );
}

export async function updatePassword(db: Db, userId: string, password: string): Promise<void> {
  await db.query(
    `update auth.users set encrypted_password = extensions.crypt($2, extensions.gen_salt('bf')), updated_at = now()
     where id = $1::uuid`,
    [userId, password],
  );
}
