// Supabase entry point: the logic is in handler.ts (tested by calling its fetch directly).
import embed from "./handler.ts";

Deno.serve(embed.fetch);
