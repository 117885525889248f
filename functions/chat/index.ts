// Supabase entry point: the logic is in handler.ts (tested by calling its fetch directly).
import chat from "./handler.ts";

Deno.serve(chat.fetch);
