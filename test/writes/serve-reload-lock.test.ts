import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withZoneLock } from '../../providers/zonefile.js';
import { makePaint, type Context } from '../../src/commands/context.js';
import { serve } from '../../src/commands/serve.js';
import { writeAtomic } from '../../src/util/atomic-write.js';
import { dig } from '../support/dig.js';
import { clusterYaml, manifestFrom, syncInProcess } from './pipeline.js';
import { freePort } from '../support/ports.js';

const zoneText = (serial: number, extra: string) => `$ORIGIN example.com.
$TTL 300
@ 3600 IN SOA ns1.example.com. hostmaster.example.com. ${serial} 3600 600 604800 120
@ 3600 IN NS ns1
ns1 IN A 127.0.0.1
${extra}
`;

/** `srvctl serve` in this process, its stderr lines as events. */
class ServeRun {
  readonly lines: string[] = [];
  private waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  private readonly stop = new AbortController();
  done?: Promise<number>;
  port = 0;

  constructor(private readonly env: Record<string, string> = {}) {}

  /** Marks a point in the log (for ordering assertions). */
  mark(text: string): void {
    this.push(`-- ${text}`);
  }

  private push(line: string): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      if (w.re.test(line)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  /** The first line (already logged or to come) matching `re`; waits on the event, no timer. */
  next(re: RegExp, after = 0): Promise<string> {
    const seen = this.lines.slice(after).find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }

  async start(zone: string): Promise<void> {
    this.port = await freePort();
    const ctx: Context = {
      json: false,
      verbose: false,
      debug: false,
      env: this.env,
      stdinIsTTY: false,
      stderrIsTTY: false,
      out: (t) => t.split('\n').filter(Boolean).forEach((l) => this.push(l)),
      err: (t) => t.split('\n').filter(Boolean).forEach((l) => this.push(l)),
      emit: () => undefined,
      paint: makePaint(false),
      errPaint: makePaint(false),
      providerContext: () => ({ env: this.env, debug: () => undefined, now: () => new Date() }),
      confirm: async () => false,
    };
    this.done = serve(ctx, zone, { listen: `127.0.0.1:${this.port}`, origin: 'example.com' }, this.stop.signal);
    await Promise.race([this.next(/^serving zone/), this.done.then((c) => Promise.reject(new Error(`serve ended (${c}): ${this.lines.join('\n')}`)))]);
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.done;
  }
}

async function answers(port: number, name: string): Promise<string[]> {
  return (await dig('127.0.0.1', port, name, 'A')).answers.map((a) => a.rdata);
}

describe('writes: serve reloads under the zone lock', function () {
  this.timeout(30_000);
  let dir: string;
  let zone: string;
  let srv: ServeRun | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-serve-lock-'));
    zone = join(dir, 'example.com.zone');
    await writeFile(zone, zoneText(1, 'old IN A 192.0.2.1'));
  });
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('a writer holding the lock delays the reload until it releases; then the new records are served', async () => {
    srv = new ServeRun();
    await srv.start(zone);
    assert.deepEqual(await answers(srv.port, 'old.example.com'), ['192.0.2.1']);
    const s = srv;
    await withZoneLock(zone, async () => {
      // What the zone writer does inside its span: the new file lands by rename while the lock is held.
      await writeAtomic(zone, zoneText(2, 'new IN A 192.0.2.2'));
      const waiting = await Promise.race([
        s.next(/is locked by process \d+ \(a zone write in progress\): waiting for the lock/),
        s.next(/^reloaded/).then((l) => Promise.reject(new Error(`reloaded without waiting for the lock: ${l}`))),
      ]);
      assert.match(waiting, new RegExp(`process ${process.pid}\\b`));
      // Still the old zone: the reload has not read the file mid-span.
      assert.deepEqual(await answers(s.port, 'new.example.com'), []);
      assert.deepEqual(await answers(s.port, 'old.example.com'), ['192.0.2.1']);
      assert.ok(!s.lines.some((l) => /^reloaded/.test(l)), `reloaded while the lock was held:\n${s.lines.join('\n')}`);
      s.mark('releasing the lock');
    });
    await s.next(/^reloaded .* serial 2$/);
    const released = s.lines.indexOf('-- releasing the lock');
    const reloaded = s.lines.findIndex((l) => /^reloaded .* serial 2$/.test(l));
    assert.ok(released >= 0 && reloaded > released, `the reload must follow the release:\n${s.lines.join('\n')}`);
    assert.deepEqual(await answers(s.port, 'new.example.com'), ['192.0.2.2']);
    assert.deepEqual(await answers(s.port, 'old.example.com'), []);
    assert.ok(!s.lines.some((l) => /without the lock/.test(l)));
  });

  it('a lock held past the bound: the reload reads the file without it and says so; the writer is never blocked', async () => {
    srv = new ServeRun({ SRVCTL_SERVE_LOCK_WAIT_MS: '200' });
    await srv.start(zone);
    const s = srv;
    await withZoneLock(zone, async () => {
      await writeAtomic(zone, zoneText(3, 'late IN A 192.0.2.3'));
      const line = await Promise.race([
        s.next(/for more than 0\.2 s: reading .* without the lock$/),
        s.next(/^reloaded/).then((l) => Promise.reject(new Error(`reloaded without waiting for the lock: ${l}`))),
      ]);
      assert.match(line, new RegExp(`locked by process ${process.pid}\\b`));
      await s.next(/^reloaded .* serial 3$/);
      // Served while the holder still holds the lock.
      assert.deepEqual(await answers(s.port, 'late.example.com'), ['192.0.2.3']);
    });
  });

  it('a real sync onto the served zone file: serve takes the same lock and serves what the sync wrote', async () => {
    srv = new ServeRun();
    await srv.start(zone);
    const m = manifestFrom(join(dir, 'c.yaml'), clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 3, net: 1, provider: `  type: zonefile\n  path: ${zone}` }));
    await syncInProcess(m);
    await srv.next(/^reloaded .* serial \d+$/);
    assert.deepEqual(await answers(srv.port, 'm2.c.example.com'), ['10.1.0.3']);
    assert.deepEqual(await answers(srv.port, 'old.example.com'), ['192.0.2.1'], 'the hand-written record stays');
  });

  it('a symlinked zone file: the write lands beside the target, and serve (watching both directories) reloads it', async () => {
    const real = join(dir, 'real');
    await mkdir(real);
    const target = join(real, 'example.com.zone');
    await writeFile(target, zoneText(1, 'old IN A 192.0.2.1'));
    const link = join(dir, 'served.zone');
    await symlink(target, link);
    srv = new ServeRun();
    await srv.start(link);
    await writeAtomic(link, zoneText(4, 'linked IN A 192.0.2.4'));
    await srv.next(/^reloaded .* serial 4$/);
    assert.deepEqual(await answers(srv.port, 'linked.example.com'), ['192.0.2.4']);
  });
});
