/**
 * Runs the embed function in a Web Worker, so a test can kill it mid-batch (`worker.terminate()`):
 * post `{ env, openai, body, token }`; the worker answers `{ status, body }` when the call ends.
 */
/// <reference lib="deno.worker" />
import { makeEmbed } from "../../functions/embed/handler.ts";
import { defaultProviders } from "../../functions/_shared/embeddings.ts";
import type { SupabaseEnv } from "../../functions/_shared/supabase.ts";

self.onmessage = async (event: MessageEvent) => {
  const { env, openai, body, token } = event.data as {
    env: SupabaseEnv;
    openai: { apiKey: string; baseURL: string };
    body: Record<string, unknown>;
    token: string;
  };
  const embed = makeEmbed(env, {
    providers: defaultProviders({ apiKey: openai.apiKey, baseURL: openai.baseURL, defaultModel: null }),
  });
  const res = await embed.fetch(
    new Request("http://fn/embed", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  self.postMessage({ status: res.status, body: await res.json() });
};
