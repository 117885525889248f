// Supabase entry point: the logic is in handler.ts (tested by calling its fetch directly).
import whoami from "./handler.ts";

Deno.serve(whoami.fetch);
