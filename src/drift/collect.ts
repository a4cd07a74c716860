import { closeSync, constants, fstatSync, openSync, readFileSync, type Dirent } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { SrvctlError } from '../errors.js';
import { formatFinding, parseManifest } from '../manifest/load.js';
import type { Finding, Manifest } from '../manifest/types.js';
import { printable } from '../util/printable.js';

/**
 * The manifests drift is to check, found in the files and directories it was given, with
 * every entry that cannot be checked reported rather than skipped — a cluster that drops
 * out of monitoring silently is the failure drift exists to prevent.
 *
 * - Only regular files are opened (O_NONBLOCK, then fstat, so a FIFO swapped in is never
 *   read): a FIFO, socket or device named *.yaml is a failed entry, not a hang.
 * - A dangling symlink, a symlink loop, an unreadable file or directory, broken YAML and an
 *   invalid manifest are failed entries; the walk goes on.
 * - Directories are walked once each (by device and inode), so directory symlink loops end.
 * - Two valid manifests with one cluster id are both failed entries: their records and
 *   metric series would collide.
 * - In directories, YAML that parses but is not a manifest (no `cluster` and `members`) is
 *   not one; dotfiles and node_modules are not looked into. A file named explicitly is
 *   always a manifest.
 *
 * Every message is printable (control characters escaped): file names and values come
 * from whoever can write into the directory.
 */
export type FailureReason = 'unreadable' | 'not-regular' | 'dangling-symlink' | 'symlink-loop' | 'too-large' | 'yaml' | 'invalid' | 'duplicate';

export interface CollectedManifest {
  file: string;
  /** present when the manifest validated and its cluster id is unique among those found */
  manifest?: Manifest;
  /** the cluster id, when known: from a valid manifest, or a well-formed `cluster:` in one that failed */
  cluster: string | null;
  /** why this entry cannot be checked (printable) */
  error?: string;
  reason?: FailureReason;
  /** a valid manifest's findings (warnings only): the check reports them as its own */
  warnings: Finding[];
}

/** Manifests are small; anything larger is not one, and is not read into memory. */
const MAX_BYTES = 4 * 1024 * 1024;
const YAML_NAME = /\.ya?ml$/i;
const CLUSTER_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function fail(file: string, reason: FailureReason, why: string, cluster: string | null = null): CollectedManifest {
  return { file, cluster, error: `${printable(file)}: ${why}`, reason, warnings: [] };
}

function kindOf(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  return st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isDirectory() ? 'a directory' : 'not a regular file';
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory';
    default:
      return printable((e as Error).message);
  }
}

/**
 * Reads a regular file without ever blocking on something that is not one. Synchronous:
 * the walk is sequential anyway, and four thread-pool round trips per file (open, fstat,
 * read, close) cost about 0.4 ms each manifest where the system calls take microseconds.
 */
function readRegular(file: string): { text: string } | CollectedManifest {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(file, code === 'ELOOP' ? 'symlink-loop' : code === 'ENOENT' ? 'dangling-symlink' : 'unreadable', `cannot open: ${errnoText(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(file, 'not-regular', `is ${kindOf(st)}: srvctl reads only regular files`);
    if (st.size > MAX_BYTES) return fail(file, 'too-large', `is ${st.size} bytes: larger than any manifest (${MAX_BYTES} bytes at most)`);
    return { text: readFileSync(fd, 'utf8') };
  } catch (e) {
    return fail(file, 'unreadable', `cannot read: ${errnoText(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** The entry for one file: its manifest, a failure, or null when it is YAML but no manifest. */
async function load(file: string, explicit: boolean): Promise<CollectedManifest | null> {
  const read = readRegular(file);
  if (!('text' in read)) return read;
  const result = parseManifest(file, read.text);
  if (result.manifest) return { file, manifest: result.manifest, cluster: result.manifest.cluster, warnings: result.findings };
  // A second parse only on the failure path: was it meant as a manifest, and for which cluster?
  const doc = parseDocument(read.text, { uniqueKeys: false });
  const errors = result.findings.filter((f) => f.severity === 'error').map((f) => printable(formatFinding(f)));
  if (doc.errors.length > 0) return fail(file, 'yaml', `not valid YAML: ${errors.join('; ')}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch {
    data = null;
  }
  const map = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  if (!explicit && !(map && 'cluster' in map && 'members' in map)) return null;
  const cluster = typeof map?.cluster === 'string' && CLUSTER_ID.test(map.cluster) ? map.cluster : null;
  return { file, cluster, error: `${printable(file)}: ${errors.length} error(s) in the manifest: ${errors.join('; ')}`, reason: 'invalid', warnings: [] };
}

export async function collectManifests(paths: readonly string[]): Promise<CollectedManifest[]> {
  const out: CollectedManifest[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();

  const walkDir = async (dir: string): Promise<void> => {
    let st;
    try {
      st = await stat(dir);
    } catch (e) {
      out.push(fail(dir, 'unreadable', `cannot read the directory: ${errnoText(e)}`));
      return;
    }
    const id = `${st.dev}:${st.ino}`;
    if (seenDirs.has(id)) return; // reached again through a symlink: already walked
    seenDirs.add(id);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      out.push(fail(dir, 'unreadable', `cannot list the directory: ${errnoText(e)}`));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        await walkDir(path);
        continue;
      }
      if (e.isSymbolicLink()) {
        let target;
        try {
          target = await stat(path);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // A broken link matters only where a manifest could have been.
          if (!YAML_NAME.test(e.name)) continue;
          if (code === 'ELOOP') out.push(fail(path, 'symlink-loop', 'is a symbolic link loop'));
          else if (code === 'ENOENT') out.push(fail(path, 'dangling-symlink', 'is a dangling symbolic link'));
          else out.push(fail(path, 'unreadable', `cannot follow the symbolic link: ${errnoText(err)}`));
          continue;
        }
        if (target.isDirectory()) {
          await walkDir(path);
          continue;
        }
        if (!YAML_NAME.test(e.name)) continue;
        if (!target.isFile()) {
          out.push(fail(path, 'not-regular', `links to ${kindOf(target)}: srvctl reads only regular files`));
          continue;
        }
        await addFile(path, false);
        continue;
      }
      if (!YAML_NAME.test(e.name)) continue;
      if (!e.isFile()) {
        out.push(fail(path, 'not-regular', `is ${kindOf(e)}: srvctl reads only regular files`));
        continue;
      }
      await addFile(path, false);
    }
  };

  const addFile = async (file: string, explicit: boolean): Promise<void> => {
    const key = resolve(file);
    if (seenFiles.has(key)) return;
    seenFiles.add(key);
    const entry = await load(file, explicit);
    if (entry) out.push(entry);
  };

  for (const p of paths) {
    let st;
    try {
      st = await lstat(p);
    } catch {
      throw new SrvctlError('usage', `cannot read ${printable(p)}: no such file or directory`);
    }
    if (st.isSymbolicLink()) {
      try {
        st = await stat(p);
      } catch (e) {
        out.push(fail(p, (e as NodeJS.ErrnoException).code === 'ELOOP' ? 'symlink-loop' : 'dangling-symlink', `cannot follow the symbolic link: ${errnoText(e)}`));
        continue;
      }
    }
    if (st.isDirectory()) await walkDir(p);
    else await addFile(p, true);
  }

  // One cluster id, one manifest: every claimant of a shared id is refused, each naming the others.
  const byCluster = new Map<string, CollectedManifest[]>();
  for (const e of out) if (e.manifest) byCluster.set(e.manifest.cluster, [...(byCluster.get(e.manifest.cluster) ?? []), e]);
  for (const [cluster, claimants] of byCluster) {
    if (claimants.length < 2) continue;
    for (const e of claimants) {
      const others = claimants.filter((o) => o !== e).map((o) => printable(o.file));
      e.error = `${printable(e.file)}: cluster id "${cluster}" is also declared in ${others.join(', ')}: two manifests would own one set of records and one metric series; give each cluster its own id`;
      e.reason = 'duplicate';
      delete e.manifest;
    }
  }
  return out;
}
