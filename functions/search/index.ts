// Supabase entry point: the logic is in handler.ts (tested by calling its fetch directly).
import search from "./handler.ts";

Deno.serve(search.fetch);
