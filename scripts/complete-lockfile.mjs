// Completes package-lock.json with the platform packages of deno and supabase for other platforms.
// npm records every optional platform package in the lock file, and `npm ci` refuses a lock file
// without them; a registry mirror that serves only this platform's binaries leaves them out. The
// entries added here carry the os/cpu/libc that make npm skip them on other machines, as npm's own
// entries do. Run after `npm install` changes the lock file: node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;

function platform(name) {
  const [os, cpu, libc] = name.split("/").pop().replace(/^cli-/, "").split("-");
  const entry = { os: [os === "windows" ? "win32" : os], cpu: [cpu] };
  if (libc || os === "linux") entry.libc = [libc ?? "glibc"];
  return entry;
}

for (const parent of ["node_modules/deno", "node_modules/supabase"]) {
  for (const [dep, version] of Object.entries(packages[parent]?.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key]) continue;
    const { os, cpu, libc } = platform(dep);
    packages[key] = { version, cpu, license: "MIT", optional: true, os, ...(libc ? { libc } : {}) };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: ${added} platform entries added`);
