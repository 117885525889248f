/**
 * Settings from the environment, read once when a function's module loads. A function that lacks
 * one keeps a ConfigError instead, and `requireEnv` answers 500 at the start of every request
 * (the missing names go to the log, not to callers).
 */
import { HttpError } from "./errors.ts";

/** Where settings are read from: Deno.env, or a stand-in in tests. */
export interface EnvSource {
  get(name: string): string | undefined;
}

/** Environment variables a function needs and does not have. */
export class ConfigError extends Error {
  constructor(readonly missing: string[]) {
    super(`missing environment: ${missing.join(", ")}`);
    this.name = "ConfigError";
  }
}

/** The settings, or a 500 "The function is not configured" (logged with the missing names). */
export function requireEnv<T>(env: T | ConfigError): T {
  if (env instanceof ConfigError) {
    throw new HttpError(500, "The function is not configured", { cause: env });
  }
  return env;
}
