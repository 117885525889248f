/**
 * /auth/v1 through the real supabase-js (and raw HTTP for the details it hides), on every engine:
 * sign up, sign in, refresh with rotation and replay detection, the user endpoints, sign out, the
 * access token's claims, how secrets are stored, and GoTrue's error shapes.
 */
import assert from "node:assert/strict";
import { isAuthApiError, isAuthSessionMissingError, isAuthWeakPasswordError } from "@supabase/supabase-js";
import {
  api,
  client,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
  type TestStack,
} from "../e2e/_stack.ts";
import { decodeJwt } from "../../stack/gateway/jwt.ts";
import { sha256Hex } from "../../stack/gateway/auth-store.ts";

const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@example.test`;

async function refreshRaw(s: TestStack, refreshToken: string) {
  return await api(s, "/auth/v1/token?grant_type=refresh_token", {
    body: { refresh_token: refreshToken },
    headers: { "x-supabase-api-version": "2024-01-01" },
  });
}

for (const kind of testEngines()) {
  const fixture = stackFixture(kind);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(fixture, `auth: ${name}`, fn);

  test("sign up returns a session; the profile trigger runs; the token carries Supabase's claims", async (s) => {
    const sb = client(s);
    const email = unique("Signup").replace("Signup", "SignUp");
    const { data, error } = await sb.auth.signUp({
      email,
      password: "correct horse battery",
      options: { data: { display_name: "Sign Up" } },
    });
    assert.equal(error, null);
    const user = data.user!;
    const session = data.session!;
    assert.equal(user.email, email.toLowerCase(), "emails are stored lowercased");
    assert.equal(user.aud, "authenticated");
    assert.equal(user.role, "authenticated");
    assert.ok(user.email_confirmed_at, "confirmed at once (no email is sent locally)");
    assert.deepEqual(user.app_metadata, { provider: "email", providers: ["email"] });
    assert.equal(user.user_metadata.display_name, "Sign Up");
    assert.equal(user.identities?.length, 1);
    assert.equal(user.identities?.[0].provider, "email");
    assert.equal(session.token_type, "bearer");
    assert.equal(session.expires_in, 3600);

    const claims = decodeJwt(session.access_token);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.role, "authenticated");
    assert.equal(claims.aud, "authenticated");
    assert.equal(claims.email, email.toLowerCase());
    assert.equal(claims.phone, "");
    assert.equal(claims.iss, `${s.url}/auth/v1`);
    assert.equal((claims.exp as number) - (claims.iat as number), 3600, "[auth] jwt_expiry");
    assert.equal(typeof claims.session_id, "string");
    assert.deepEqual(claims.app_metadata, { provider: "email", providers: ["email"] });
    assert.equal((claims.user_metadata as Record<string, unknown>).display_name, "Sign Up");
    assert.equal(claims.aal, "aal1");
    assert.equal((claims.amr as { method: string }[])[0].method, "password");
    assert.equal(claims.is_anonymous, false);

    const profile = await sb.rpc("get_my_profile");
    assert.equal(profile.data.display_name, "Sign Up", "on_auth_user_created made the profile");
  });

  test("passwords are bcrypt hashes and refresh tokens are stored as SHA-256 hashes only", async (s) => {
    const u = await signedInUser(s, "secrets");
    const [row] = await s.engine.db.query<{ encrypted_password: string }>(
      "select encrypted_password from auth.users where id = $1",
      [u.id],
    );
    assert.match(row.encrypted_password, /^\$2[ab]\$\d\d\$.{53}$/);
    assert.ok(!row.encrypted_password.includes(u.password));
    const tokens = await s.engine.db.query<{ token: string }>(
      "select token from auth.refresh_tokens where user_id = $1",
      [u.id],
    );
    assert.deepEqual(tokens.map((t) => t.token), [await sha256Hex(u.session.refresh_token)]);
    const [identity] = await s.engine.db.query<{ provider: string; email: string }>(
      "select provider, email from auth.identities where user_id = $1",
      [u.id],
    );
    assert.deepEqual(identity, { provider: "email", email: u.email });
  });

  test("sign up refuses a taken email, a weak password and an invalid email", async (s) => {
    const u = await signedInUser(s, "taken");
    const again = await client(s).auth.signUp({ email: u.email.toUpperCase(), password: "another password" });
    assert.ok(isAuthApiError(again.error));
    assert.equal(again.error.status, 422);
    assert.equal(again.error.code, "user_already_exists");
    assert.equal(again.data.session, null);

    const weak = await client(s).auth.signUp({ email: unique("weak"), password: "short" });
    assert.ok(isAuthWeakPasswordError(weak.error));
    assert.equal(weak.error.code, "weak_password");
    assert.deepEqual(weak.error.reasons, ["length"]);
    assert.match(weak.error.message, /at least 8 characters/, "[auth] minimum_password_length");

    const invalid = await client(s).auth.signUp({ email: "not an email", password: "long enough password" });
    assert.equal(invalid.error?.code, "validation_failed");
    assert.equal(invalid.error?.status, 400);
    const counts = await s.engine.db.query<{ n: number }>(
      "select count(*)::int as n from auth.users where email in ($1, 'not an email')",
      [u.email],
    );
    assert.equal(counts[0].n, 1, "nothing was created");
  });

  test("sign in with a password: right, wrong, unknown, and the seeded demo user", async (s) => {
    const u = await signedInUser(s, "signin");
    const ok = await client(s).auth.signInWithPassword({ email: u.email, password: u.password });
    assert.equal(ok.error, null);
    assert.equal(ok.data.user?.id, u.id);
    assert.notEqual(ok.data.session?.refresh_token, u.session.refresh_token);

    for (
      const credentials of [{ email: u.email, password: "wrong password" }, { email: unique("nobody"), password: "x" }]
    ) {
      const bad = await client(s).auth.signInWithPassword(credentials);
      assert.ok(isAuthApiError(bad.error));
      assert.equal(bad.error.status, 400);
      assert.equal(bad.error.code, "invalid_credentials");
      assert.equal(bad.error.message, "Invalid login credentials");
    }

    const demo = client(s);
    const signedIn = await demo.auth.signInWithPassword({
      email: "demo@parley.local",
      password: "parley-demo-password",
    });
    assert.equal(signedIn.error, null);
    assert.equal((await demo.rpc("get_my_profile")).data.display_name, "Demo User");
  });

  test("refresh rotates the token; a replay within the reuse interval still works", async (s) => {
    const u = await signedInUser(s, "refresh");
    const first = u.session.refresh_token;
    const { data, error } = await u.supabase.auth.refreshSession();
    assert.equal(error, null);
    const second = data.session!.refresh_token;
    assert.notEqual(second, first);
    assert.equal(decodeJwt(data.session!.access_token).session_id, decodeJwt(u.session.access_token).session_id);
    assert.equal((await u.supabase.rpc("get_my_profile")).data.id, u.id, "the new access token works");

    // two tabs refreshing at once: the first token again, within refresh_token_reuse_interval
    const concurrent = await refreshRaw(s, first);
    assert.equal(concurrent.status, 200, concurrent.text);
    const third = (concurrent.body as { refresh_token: string }).refresh_token;
    assert.ok(third && third !== first && third !== second);
    assert.equal((await refreshRaw(s, third)).status, 200);
  });

  test("a refresh token replayed after the reuse interval revokes the whole session", async (s) => {
    const u = await signedInUser(s, "replay");
    const first = u.session.refresh_token;
    const rotated = await refreshRaw(s, first);
    const current = rotated.body as { refresh_token: string; access_token: string };
    // as if the rotation happened a minute ago
    await s.engine.db.query(
      "update auth.refresh_tokens set updated_at = updated_at - interval '1 minute' where token = $1",
      [await sha256Hex(first)],
    );
    const replay = await refreshRaw(s, first);
    assert.equal(replay.status, 400);
    assert.deepEqual(replay.body, {
      code: "refresh_token_already_used",
      message: "Invalid Refresh Token: Already Used",
    });
    const afterReplay = await refreshRaw(s, current.refresh_token);
    assert.equal(afterReplay.status, 400);
    assert.equal((afterReplay.body as { code: string }).code, "refresh_token_not_found");
    const user = await api(s, "/auth/v1/user", { token: current.access_token });
    assert.equal(user.status, 403);
    assert.match(user.text, /session_not_found/);

    const unknown = await client(s).auth.refreshSession({ refresh_token: "never-issued" });
    assert.equal(unknown.error?.code, "refresh_token_not_found");
  });

  test("get and update the user: metadata merged (null removes a key), password changed", async (s) => {
    const u = await signedInUser(s, "meta", { display_name: "Meta", keep: 1, drop: true });
    const got = await u.supabase.auth.getUser();
    assert.equal(got.data.user?.id, u.id);
    const updated = await u.supabase.auth.updateUser({ data: { added: "yes", drop: null, keep: 2 } });
    assert.equal(updated.error, null);
    const meta = updated.data.user!.user_metadata;
    assert.equal(meta.added, "yes");
    assert.equal(meta.keep, 2);
    assert.equal(meta.display_name, "Meta");
    assert.ok(!("drop" in meta));
    const raw = await api(s, "/auth/v1/user", { token: u.session.access_token });
    assert.equal((raw.body as { user_metadata: Record<string, unknown> }).user_metadata.added, "yes");

    const same = await u.supabase.auth.updateUser({ password: u.password });
    assert.equal(same.error?.code, "same_password");
    const changed = await u.supabase.auth.updateUser({ password: "a brand new password" });
    assert.equal(changed.error, null);
    assert.equal(
      (await client(s).auth.signInWithPassword({ email: u.email, password: u.password })).error?.code,
      "invalid_credentials",
    );
    assert.equal(
      (await client(s).auth.signInWithPassword({ email: u.email, password: "a brand new password" })).error,
      null,
    );
    const email = await u.supabase.auth.updateUser({ email: unique("other") });
    assert.equal(email.error?.status, 422, "changing the email is not supported locally");
  });

  test("changing the password signs out the user's other sessions, and keeps this one", async (s) => {
    const u = await signedInUser(s, "repassword");
    const laptop = client(s);
    await laptop.auth.signInWithPassword({ email: u.email, password: u.password });
    const laptopSession = (await laptop.auth.getSession()).data.session!;
    const phone = client(s);
    await phone.auth.signInWithPassword({ email: u.email, password: u.password });
    const phoneSession = (await phone.auth.getSession()).data.session!;

    assert.equal((await u.supabase.auth.updateUser({ password: "a fresh new password" })).error, null);
    for (const token of [laptopSession.refresh_token, phoneSession.refresh_token]) {
      const res = await refreshRaw(s, token);
      assert.equal(res.status, 400, "another session's refresh token no longer works");
      assert.equal((res.body as { code: string }).code, "refresh_token_not_found");
    }
    const stale = await client(s).auth.getUser(phoneSession.access_token);
    assert.ok(isAuthSessionMissingError(stale.error), "another session's access token names a session that is gone");
    assert.equal((await u.supabase.auth.getUser()).error, null, "the session that changed it stays signed in");
    const refreshed = await u.supabase.auth.refreshSession();
    assert.equal(refreshed.error, null, "and can refresh");
    assert.ok(refreshed.data.session?.access_token);
  });

  test("sign out: global ends every session of the user, local only this one", async (s) => {
    const u = await signedInUser(s, "signout");
    const other = client(s);
    await other.auth.signInWithPassword({ email: u.email, password: u.password });
    const third = client(s);
    await third.auth.signInWithPassword({ email: u.email, password: u.password });
    const thirdSession = (await third.auth.getSession()).data.session!;

    assert.equal((await other.auth.signOut({ scope: "local" })).error, null);
    assert.equal((await refreshRaw(s, thirdSession.refresh_token)).status, 200, "local left the others alone");

    assert.equal((await u.supabase.auth.signOut()).error, null);
    assert.equal((await u.supabase.auth.getSession()).data.session, null);
    for (const token of [u.session.refresh_token, thirdSession.refresh_token]) {
      const res = await refreshRaw(s, token);
      assert.equal(res.status, 400);
      assert.equal((res.body as { code: string }).code, "refresh_token_not_found");
    }
    const user = await client(s).auth.getUser(u.session.access_token);
    assert.ok(isAuthSessionMissingError(user.error), "the access token's session is gone");
  });

  test("the user endpoint wants a user's valid token", async (s) => {
    const missing = await api(s, "/auth/v1/user");
    assert.equal(missing.status, 401);
    assert.equal((missing.body as { error_code: string }).error_code, "no_authorization");
    const anonKey = await api(s, "/auth/v1/user", { token: s.anonKey });
    assert.equal(anonKey.status, 403);
    assert.equal((anonKey.body as { error_code: string }).error_code, "bad_jwt");
    const garbage = await api(s, "/auth/v1/user", { token: "garbage" });
    assert.equal(garbage.status, 403);
  });

  test("errors have GoTrue's shapes; the API key is required; other endpoints are not served", async (s) => {
    const body = { email: unique("shape"), password: "whatever it is" };
    const legacy = await api(s, "/auth/v1/token?grant_type=password", { body });
    assert.deepEqual(legacy.body, { code: 400, error_code: "invalid_credentials", msg: "Invalid login credentials" });
    const modern = await api(s, "/auth/v1/token?grant_type=password", {
      body,
      headers: { "x-supabase-api-version": "2024-01-01" },
    });
    assert.deepEqual(modern.body, { code: "invalid_credentials", message: "Invalid login credentials" });
    assert.equal(modern.headers.get("x-supabase-api-version"), "2024-01-01");

    const noKey = await api(s, "/auth/v1/token?grant_type=password", { body, apikey: null });
    assert.equal(noKey.status, 401);
    const grant = await api(s, "/auth/v1/token?grant_type=magic", { body });
    assert.equal(grant.status, 400);
    const otp = await client(s).auth.signInWithOtp({ email: unique("otp") });
    assert.equal(otp.error?.status, 404);
    const badJson = await api(s, "/auth/v1/signup", { body: "{", headers: { "content-type": "application/json" } });
    assert.equal(badJson.status, 400);
    assert.equal((badJson.body as { error_code: string }).error_code, "bad_json");
    const settings = await api(s, "/auth/v1/settings");
    assert.equal((settings.body as { disable_signup: boolean }).disable_signup, false);
  });

  stopStackAfterTests(fixture);
}
