/**
 * One stack per data folder: a lock file holding the owner's pid. A second `npm start` on the same
 * folder is refused (instead of resetting or stopping the database under the first); a lock left by
 * a process that is gone is taken over.
 */
import { dirname } from "node:path";

const held = new Set<string>();

export async function acquireLock(path: string): Promise<() => Promise<void>> {
  await Deno.mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
      file.close();
      held.add(path);
      return async () => {
        held.delete(path);
        await Deno.remove(path).catch(() => {});
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const pid = Number((await Deno.readTextFile(path).catch(() => "")).trim());
      const live = pid === Deno.pid ? held.has(path) : pid > 0 && alive(pid);
      if (live) {
        throw new Error(`another Parley stack (pid ${pid}) is using this data folder (${path}); stop it first`);
      }
      await Deno.remove(path).catch(() => {});
    }
  }
  throw new Error(`could not lock ${path}`);
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    // Without /proc (not Linux), ask the kernel whether the process exists.
    try {
      return new Deno.Command("kill", { args: ["-0", String(pid)] }).outputSync().success;
    } catch {
      return false;
    }
  }
}
