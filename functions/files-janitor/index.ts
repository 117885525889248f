// Supabase entry point: the logic is in handler.ts (tested by calling its fetch directly).
import janitor from "./handler.ts";

Deno.serve(janitor.fetch);
