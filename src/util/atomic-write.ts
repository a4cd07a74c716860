import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp files of earlier writers that were killed before their rename: theirs only, and only when dead. */
async function removeStale(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await fs.readdir(dirname(path));
  } catch {
    return;
  }
  for (const n of names) {
    const m = n.startsWith(prefix) ? /^(\d+)\.\d+\.tmp$/.exec(n.slice(prefix.length)) : null;
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) await fs.rm(join(dirname(path), n), { force: true });
  }
}

/**
 * The file a write to `path` must replace: a symlink is followed (to its final target),
 * so the link stays a link and the target a server reads gets the new content.
 * A path that does not exist yet is its own target (a dangling link: the link's target).
 */
export async function writeTarget(path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    const link = await fs.readlink(path);
    return link.startsWith('/') ? link : join(dirname(path), link);
  } catch {
    return path;
  }
}

let tmpCounter = 0;

export interface WriteOptions {
  /** mode of a file that does not exist yet (the umask applies, as for any new file) */
  defaultMode?: number;
  /**
   * Called with the target's current text right before the rename; throwing there stops
   * the write with the old file untouched. The zone file provider uses it to see an edit
   * that landed after its check, however short the window.
   */
  beforeRename?: (current: string | null) => void;
}

/**
 * Temp file next to the target, fsync, rename: readers see the old content or the new,
 * never half. The old file's mode, owner and group are kept (a zone BIND reads as
 * bind:bind 0640 stays so); when the owner cannot be kept (not root), nothing is written.
 */
export async function writeAtomic(path: string, text: string, opts: WriteOptions | number = {}): Promise<void> {
  const o: WriteOptions = typeof opts === 'number' ? { defaultMode: opts } : opts;
  const target = await writeTarget(path);
  await removeStale(target);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}${tmpCounter++}.tmp`);
  let old: { mode: number; uid: number; gid: number } | null = null;
  try {
    const st = await fs.stat(target);
    old = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const handle = await fs.open(tmp, 'wx', old ? 0o600 : (o.defaultMode ?? 0o644));
  try {
    await handle.writeFile(text, 'utf8');
    if (old) {
      // open() applies the umask; the old mode is set exactly, after the owner (chown clears setgid bits).
      const me = await handle.stat();
      if (me.uid !== old.uid || me.gid !== old.gid) {
        try {
          await handle.chown(old.uid, old.gid);
        } catch (e) {
          throw new Error(`cannot keep the owner ${old.uid}:${old.gid} of ${target} (${(e as NodeJS.ErrnoException).code}): run as root or as its owner`);
        }
      }
      await handle.chmod(old.mode);
    }
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    if (o.beforeRename) {
      let current: string | null = null;
      try {
        current = await fs.readFile(target, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      o.beforeRename(current);
    }
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  const dir = await fs.open(dirname(target), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
