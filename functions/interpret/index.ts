// Supabase entry point: the logic is in handler.ts (tested by calling its fetch directly).
import interpret from "./handler.ts";

Deno.serve(interpret.fetch);
