import cluster from 'node:cluster';
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadZoneFile, withZoneLock } from '../../providers/zonefile.js';
import { Authority } from '../dns/authority.js';
import { rcodeName, typeName } from '../dns/codec.js';
import { startServer } from '../dns/server.js';
import { EXIT, SrvctlError } from '../errors.js';
import { parseHostPort } from '../manifest/hostport.js';
import { normalizeName } from '../records/name.js';
import { writeTarget } from '../util/atomic-write.js';
import type { Context } from './context.js';
import { loadManifest } from './manifest.js';

/** How long a reload waits for a zone writer's lock before it reads the file without it. */
const DEFAULT_LOCK_WAIT_MS = 10_000;

export interface ServeFlags {
  listen?: string;
  origin?: string;
  /** processes answering on the shared port (Node's cluster module); 1 by default */
  workers?: string;
}

/**
 * The apex of a zone file given without --origin: the owner of its SOA record, which is
 * where the file's own $ORIGIN puts it (`serve copy.zone` of example.com serves
 * example.com). Only a file whose names are all relative falls back to its file name.
 */
async function apexOf(path: string): Promise<string> {
  const fromName = normalizeName(basename(path).replace(/\.(zone|db)$/i, '').replace(/^db\./, ''));
  const loaded = await loadZoneFile(path, fromName);
  return loaded?.zone.records.find((r) => r.type === 'SOA')?.name ?? fromName;
}

/** Serves a manifest's zone file (or a zone file) until SIGINT/SIGTERM, reloading it when it changes. */
export async function serve(ctx: Context, file: string, flags: ServeFlags, signal: AbortSignal): Promise<number> {
  let path: string;
  let origin: string;
  if (/\.ya?ml$/i.test(file)) {
    const manifest = await loadManifest(ctx, file);
    if (manifest.provider.type !== 'zonefile') throw new SrvctlError('usage', `${file} uses the ${manifest.provider.type} provider: only zone files are served by srvctl`);
    path = String(manifest.provider.options.path);
    origin = manifest.provider.zone;
  } else {
    path = file;
    origin = flags.origin ? normalizeName(flags.origin) : await apexOf(path);
  }
  const listen = parseHostPort(flags.listen ?? '127.0.0.1:5353', 5353);
  if (!listen) throw new SrvctlError('usage', `--listen "${flags.listen}" is not ADDR:PORT`);

  const load = async () => {
    const loaded = await loadZoneFile(path, origin);
    if (!loaded) throw new SrvctlError('usage', `zone file ${path} does not exist (run srvctl sync first, or give --origin with an existing file)`);
    try {
      return new Authority(origin, loaded.zone.records);
    } catch (e) {
      throw new SrvctlError('manifest', `${path}: ${(e as Error).message}`);
    }
  };
  const lockWaitMs = Number(ctx.env.SRVCTL_SERVE_LOCK_WAIT_MS) > 0 ? Number(ctx.env.SRVCTL_SERVE_LOCK_WAIT_MS) : DEFAULT_LOCK_WAIT_MS;
  // A wait for the lock ends when serve is told to stop: shutdown never waits on a writer.
  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(new SrvctlError('io', 'stopping'));
      const stop = () => {
        clearTimeout(t);
        reject(new SrvctlError('io', 'stopping'));
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      }, ms);
      signal.addEventListener('abort', stop, { once: true });
    });
  /**
   * The zone read under the lock every srvctl writer holds across re-read → compare →
   * write → rename (and that scripts may take with O_EXCL): never a view from the middle of
   * a write. The wait is bounded: a holder that keeps it longer (hung, or a directory where
   * no lock file can be made) does not stop the reload; the file is then read without the
   * lock, which is safe for srvctl's own writes since they replace the file by rename.
   */
  const loadLocked = async (): Promise<Authority> => {
    let locked = false;
    try {
      return await withZoneLock(
        path,
        () => {
          locked = true;
          return load();
        },
        {
          timeoutMs: lockWaitMs,
          // serve only reads: it never breaks a lock, whoever (and wherever) its holder is
          breakStale: false,
          sleep,
          onWait: (pid) => ctx.err(`${path} is locked by process ${pid ?? '?'} (a zone write in progress): waiting for the lock, at most ${lockWaitMs / 1000} s\n`),
        },
      );
    } catch (e) {
      if (locked || signal.aborted || !(e instanceof SrvctlError)) throw e;
      ctx.err(`${e.message.replace(/; nothing was written$/, '')}: reading ${path} without the lock\n`);
      return load();
    }
  };
  const authority = await loadLocked();
  for (const r of authority.unservable.slice(0, 5)) ctx.err(`not served: ${r.name} ${r.type} (srvctl cannot encode this form of ${r.type}; write it as RFC 3597 \\# rdata)\n`);
  const workers = flags.workers === undefined ? 1 : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new SrvctlError('usage', `--workers "${flags.workers}" is not a whole number from 1 to 64`);
  // Each worker runs this same command (cluster re-runs the CLI) and serves on the shared port.
  if (workers > 1 && cluster.isPrimary) return superviseWorkers(ctx, workers, signal);
  let server;
  try {
    server = await startServer(authority, {
      host: listen.host,
      port: listen.port,
      // Without --verbose no callback: the server's cached fast path then never decodes a query.
      onQuery: ctx.verbose
        ? (q, rcode, transport) => ctx.err(`${transport} ${q?.questions[0] ? `${q.questions[0].name} ${typeName(q.questions[0].type)}` : '(malformed)'} → ${rcodeName(rcode)}\n`)
        : undefined,
    });
  } catch (e) {
    throw new SrvctlError('io', `cannot listen on ${flags.listen ?? '127.0.0.1:5353'}: ${(e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address in use' : (e as Error).message}`);
  }
  ctx.err(`serving zone ${origin} from ${path} on ${listen.host}:${server.port} (UDP and TCP), serial ${authority.serial}; Ctrl-C stops\n`);
  if (ctx.json) ctx.emit({ zone: origin, file: path, listen: { host: listen.host, port: server.port }, serial: authority.serial });

  // Reload on change: sync from another shell is served at once. The directory is
  // watched because an atomic rename replaces the file's inode.
  // One reload at a time; a change seen during a reload (or its wait for the lock) runs one more.
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> | undefined;
  let again = false;
  const reloadOnce = async () => {
    try {
      const next = await loadLocked();
      server.swap(next);
      ctx.err(`reloaded ${path}, serial ${next.serial}\n`);
    } catch (e) {
      if (!signal.aborted) ctx.err(`${(e as Error).message}; still serving the previous zone\n`);
    }
  };
  const reload = () => {
    if (inflight) {
      again = true;
      return;
    }
    inflight = (async () => {
      do {
        again = false;
        await reloadOnce();
      } while (again && !signal.aborted);
      inflight = undefined;
    })();
  };
  // A symlinked zone file is written next to its target (the writers follow the link), so
  // the target's directory is watched as well as the link's.
  const target = await writeTarget(path);
  const watched = new Map<string, Set<string>>();
  for (const f of [path, target]) watched.set(dirname(f), new Set([...(watched.get(dirname(f)) ?? []), basename(f)]));
  const watchers = [...watched].map(([dir, names]) =>
    watch(dir, (_, name) => {
      if (!name || !names.has(name)) return;
      clearTimeout(timer);
      timer = setTimeout(reload, 100);
    }),
  );

  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  clearTimeout(timer);
  for (const w of watchers) w.close();
  await inflight;
  await server.close();
  // A cluster worker's IPC channel would keep it alive after the server closed.
  if (cluster.isWorker) cluster.worker?.disconnect();
  ctx.err('stopped\n');
  return EXIT.ok;
}

/** Forks the workers, stops them by PID when told to; a worker that dies stops the rest (exit 1). */
async function superviseWorkers(ctx: Context, n: number, signal: AbortSignal): Promise<number> {
  const children = Array.from({ length: n }, () => cluster.fork());
  ctx.err(`started ${n} workers (pids ${children.map((w) => w.process.pid).join(', ')})\n`);
  let failed = false;
  await new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
    for (const w of children) {
      w.once('exit', (code) => {
        if (signal.aborted) return;
        failed = true;
        ctx.err(`worker ${w.process.pid} exited (${code}); stopping the others\n`);
        resolve();
      });
    }
  });
  await Promise.all(
    children.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          w.once('exit', () => resolve());
          w.process.kill('SIGTERM');
        }),
    ),
  );
  return failed ? EXIT.failure : EXIT.ok;
}
