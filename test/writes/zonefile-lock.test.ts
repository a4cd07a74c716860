import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseZone } from '../../src/dns/zonefile.js';
import { SrvctlError } from '../../src/errors.js';
import { LockBusyError, withFileLock } from '../../src/util/file-lock.js';
import type { Manifest } from '../../src/manifest/types.js';
import { desiredRecords } from '../../src/records/desired.js';
import { recordKey } from '../../src/records/record.js';
import { clusterYaml, manifestFrom, syncInProcess } from './pipeline.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'zone-sync-worker.js');

const BASE_ZONE = `$ORIGIN example.com.
$TTL 300
@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 604800 120
@ 3600 IN NS ns1
ns1 IN A 127.0.0.1
www IN A 192.0.2.80
`;

function pair(dir: string, zone: string, i: number): [Manifest, Manifest] {
  const provider = `  type: zonefile\n  path: ${zone}`;
  return (['a', 'b'] as const).map((side, s) =>
    manifestFrom(join(dir, `${side}${i}.yaml`), clusterYaml({ cluster: `${side}-${i}`, domain: `${side}${i}.example.com`, zone: 'example.com', members: 3, net: s + 1, provider })),
  ) as [Manifest, Manifest];
}

/** Desired records of `m` that the zone file lacks. */
async function missing(zone: string, m: Manifest): Promise<string[]> {
  const have = new Set(parseZone(await readFile(zone, 'utf8'), 'example.com').records.map(recordKey));
  return desiredRecords(m).map(recordKey).filter((k) => !have.has(k));
}

async function outcome(p: Promise<unknown>): Promise<'ok' | string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof SrvctlError) return e.message;
    throw e;
  }
}

describe('writes: the zone file lock', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('200 pairs of clusters synced at once onto one zone file, in one process: both land every time', async () => {
    const zone = join(dir, 'example.com.zone');
    let losses = 0;
    let refusals = 0;
    for (let i = 0; i < 200; i++) {
      await writeFile(zone, BASE_ZONE);
      const [a, b] = pair(dir, zone, i);
      // Vary the interleaving: one side starts a few event-loop turns later.
      const stagger = () => new Promise<void>((r) => (i % 3 === 0 ? setImmediate(r) : i % 3 === 1 ? process.nextTick(r) : r()));
      const results = await Promise.all([outcome(syncInProcess(a)), outcome(stagger().then(() => syncInProcess(b)))]);
      for (const [k, m] of [a, b].entries()) {
        if (results[k] !== 'ok') refusals++;
        else if ((await missing(zone, m)).length) losses++;
      }
      assert.ok((await readFile(zone, 'utf8')).includes('www IN A 192.0.2.80'), 'the hand-written line outside both clusters stays');
    }
    assert.equal(losses, 0, 'records of a cluster whose sync succeeded are missing');
    // Disjoint names: the second writer applies its plan on top of the first one's file.
    assert.equal(refusals, 0);
  });

  it('pairs of separate processes on one zone file: no loss, and a rerun of a refused one converges', async () => {
    const zone = join(dir, 'example.com.zone');
    const runWorker = (file: string) =>
      new Promise<{ ok: boolean; error?: string }>((res, rej) =>
        execFile(process.execPath, [WORKER, file], (err, stdout) => (err ? rej(err) : res(JSON.parse(stdout) as { ok: boolean; error?: string }))),
      );
    let losses = 0;
    for (let i = 0; i < 6; i++) {
      await writeFile(zone, BASE_ZONE);
      const [a, b] = pair(dir, zone, i);
      for (const m of [a, b]) await writeFile(m.file, clusterYaml({ cluster: m.cluster, domain: m.domain, zone: 'example.com', members: 3, net: m.cluster.startsWith('a') ? 1 : 2, provider: `  type: zonefile\n  path: ${zone}` }));
      const results = await Promise.all([runWorker(a.file), runWorker(b.file)]);
      for (const [k, m] of [a, b].entries()) {
        if (results[k]!.ok && (await missing(zone, m)).length) losses++;
        if (!results[k]!.ok) assert.equal((await runWorker(m.file)).ok, true);
      }
      for (const m of [a, b]) assert.deepEqual(await missing(zone, m), []);
    }
    assert.equal(losses, 0);
  });

  it('a hand edit at another name between plan and apply is kept; one at a managed name makes the sync refuse', async () => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, BASE_ZONE);
    const [a] = pair(dir, zone, 0);
    await syncInProcess(a, undefined, async () => {
      await writeFile(zone, `${await readFile(zone, 'utf8')}hand IN TXT "edited by hand"\n`);
    });
    const after = await readFile(zone, 'utf8');
    assert.match(after, /hand IN TXT "edited by hand"/);
    assert.deepEqual(await missing(zone, a), []);

    await writeFile(zone, BASE_ZONE);
    const edited = `${BASE_ZONE}m0.a0.example.com. IN A 10.9.9.9\n`;
    const result = await outcome(
      syncInProcess(a, undefined, async () => {
        await writeFile(zone, edited);
      }),
    );
    assert.match(result, /changed since they were read/);
    assert.equal(await readFile(zone, 'utf8'), edited, 'nothing written over the hand edit');
  });

  it('a hand edit at a name of the first read round is seen when the plan needed a second round (a removed member)', async () => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, BASE_ZONE);
    const provider = `  type: zonefile\n  path: ${zone}`;
    const four = manifestFrom(join(dir, 'c.yaml'), clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 4, net: 1, provider }));
    await syncInProcess(four);
    // m3 leaves: its host is read in a second round, found through its old SRV target.
    const three = manifestFrom(join(dir, 'c.yaml'), clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 3, net: 1, provider }));
    let edited = '';
    const result = await outcome(
      syncInProcess(three, undefined, async () => {
        edited = `${await readFile(zone, 'utf8')}_etcd-server._tcp.c.example.com. 300 IN SRV 0 0 2380 hand.example.net.\n`;
        await writeFile(zone, edited);
      }),
    );
    assert.match(result, /changed since they were read.*_etcd-server\._tcp\.c\.example\.com/);
    assert.equal(await readFile(zone, 'utf8'), edited);
  });

  it('an editor that ignores the lock and saves while srvctl holds it: its edit is kept or the sync refuses', async () => {
    const zone = join(dir, 'example.com.zone');
    const counts = { merged: 0, refused: 0 };
    for (let i = 0; i < 40; i++) {
      await writeFile(zone, BASE_ZONE);
      const [a] = pair(dir, zone, i);
      const line = `hand${i} IN TXT "saved while srvctl held the lock"`;
      let saved!: Promise<void>;
      const editorSaved = new Promise<void>((res) => {
        // The editor saves (write a copy, rename it over) the moment srvctl takes the lock.
        const w = watch(dir, (_, name) => {
          if (name !== 'example.com.zone.srvctl.lock') return;
          w.close();
          saved = (async () => {
            const text = await readFile(zone, 'utf8');
            await writeFile(join(dir, 'editor.swp'), `${text}${line}\n`);
            await rename(join(dir, 'editor.swp'), zone);
          })();
          res();
        });
      });
      const result = await outcome(syncInProcess(a));
      await editorSaved;
      await saved;
      const text = await readFile(zone, 'utf8');
      assert.ok(text.includes(line), `run ${i}: the editor's line was lost (sync: ${result})`);
      if (result === 'ok') {
        counts.merged++;
        assert.deepEqual(await missing(zone, a), [], `run ${i}: sync succeeded but its records are gone`);
      } else {
        counts.refused++;
        assert.match(result, /changed by another writer|changed since/);
      }
    }
    assert.equal(counts.merged + counts.refused, 40);
  });

  it('a lock left by a dead process is broken, and the lock is released after the write (live holders are waited for: the pairs above)', async () => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, BASE_ZONE);
    // pid 2^22+1 is above Linux's pid_max default: never a live process
    await writeFile(`${zone}.srvctl.lock`, '4194305\n');
    const [a] = pair(dir, zone, 0);
    await syncInProcess(a);
    assert.deepEqual(await missing(zone, a), []);
    await assert.rejects(readFile(`${zone}.srvctl.lock`), { code: 'ENOENT' }, 'the lock is released');
    assert.equal(resolve(zone), zone);
  });

  it('a reader that must not break locks (serve) waits out a dead-looking holder instead, and leaves its lock', async () => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, BASE_ZONE);
    // a holder whose pid is not alive here: in another PID namespace it may well be running
    await writeFile(`${zone}.srvctl.lock`, '4194305\n');
    let ran = false;
    await assert.rejects(
      withFileLock(zone, async () => void (ran = true), { breakStale: false, timeoutMs: 50 }),
      (e: Error) => e instanceof LockBusyError && /locked by process 4194305/.test(e.message),
    );
    assert.equal(ran, false);
    assert.equal(await readFile(`${zone}.srvctl.lock`, 'utf8'), '4194305\n', 'the lock is left as it was');
  });
});
