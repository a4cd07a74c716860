import { promises as fs } from 'node:fs';
import { SrvctlError } from '../errors.js';

/**
 * An exclusive lock on a file, held as a lock file beside it (`<file>.srvctl.lock`) created
 * with O_EXCL. Node has no flock(2), and a lock file also works for other processes and
 * scripts: anyone who creates that file with O_EXCL (for example `set -C; echo $$ > f.lock`)
 * takes part. The lock file holds the holder's pid; a lock whose holder is dead is stale
 * and is broken, under a second short-lived lock so that two processes that both saw the
 * same stale lock cannot break each other's fresh one.
 *
 * Callers pass the real path (symlinks resolved), so every writer of one target meets at
 * one lock whatever link it came through.
 */
export interface LockOptions {
  /** how long to wait for another holder before giving up */
  timeoutMs?: number;
  /** injected for tests */
  sleep?: (ms: number) => Promise<void>;
  /** called once, when the lock is first found held by a live holder (so a caller can say it waits) */
  onWait?: (holderPid: number | undefined) => void;
  /**
   * false: never break a lock whose holder looks dead. A reader (serve) sets it: a holder
   * in another PID namespace (sync on the host, serve in a container on a shared volume)
   * looks dead from here, and breaking its lock would let a second writer in beside it.
   * Such a lock is waited for like a live one, within the timeout.
   */
  breakStale?: boolean;
}

/** The lock stayed held by a live holder for longer than the caller would wait. */
export class LockBusyError extends SrvctlError {
  constructor(
    message: string,
    readonly holderPid: number | undefined,
  ) {
    super('io', message);
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function lockPathFor(realPath: string): string {
  return `${realPath}.srvctl.lock`;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const h = await fs.open(path, 'wx', 0o644);
    try {
      await h.writeFile(`${process.pid}\n`);
    } finally {
      await h.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** The holder of a lock file and its inode, or null when it vanished meanwhile. */
async function holder(path: string): Promise<{ pid: number; ino: number; ageMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    return { pid: Number.parseInt(text.trim(), 10), ino: st.ino, ageMs: Date.now() - st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * A lock is stale when its pid is dead; a file without a pid yet is a holder between
 * open and write, stale only once it is old.
 */
function stale(h: { pid: number; ageMs: number }): boolean {
  if (Number.isNaN(h.pid)) return h.ageMs > 5_000;
  return !alive(h.pid);
}

async function breakStale(path: string, seen: { ino: number }): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker))) {
    const b = await holder(breaker);
    // a breaker that died within its few system calls
    if (b && stale(b)) await fs.rm(breaker, { force: true });
    return;
  }
  try {
    const now = await holder(path);
    if (now && now.ino === seen.ino && stale(now)) await fs.rm(path, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}

/** Runs `fn` while holding the lock on `realPath`; the lock is released however `fn` ends. */
export async function withFileLock<T>(realPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const path = lockPathFor(realPath);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  let pause = 2;
  let told = false;
  for (;;) {
    let created: boolean;
    try {
      created = await tryCreate(path);
    } catch (e) {
      throw new SrvctlError('io', `cannot create lock file ${path}: ${(e as Error).message}`);
    }
    if (created) break;
    const h = await holder(path);
    if (h && stale(h) && opts.breakStale !== false) {
      await breakStale(path, h);
      continue;
    }
    if (h && !told) {
      told = true;
      opts.onWait?.(Number.isNaN(h.pid) ? undefined : h.pid);
    }
    if (Date.now() - started > timeoutMs) {
      throw new LockBusyError(`${realPath} is locked by process ${h?.pid ?? '?'} (${path}) for more than ${timeoutMs / 1000} s; nothing was written`, h && !Number.isNaN(h.pid) ? h.pid : undefined);
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(path, { force: true });
  }
}
