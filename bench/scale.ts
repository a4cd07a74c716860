import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, fmtStats, interleaved, median, nodeWithMaxRss, type Row } from './lib.js';

class Refused extends Error {}

function manifest(members: number, zonePath: string): string {
  const list = Array.from({ length: members }, (_, i) => `  - { name: n${i}, host: n${i}.c.example.com, ipv4: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} }`).join('\n');
  return `version: 1\ncluster: c\ndomain: c.example.com\nprovider: { type: zonefile, zone: example.com, path: ${zonePath} }\nmembers:\n${list}\n`;
}

/**
 * sync (zone file, no verify, one member's config) from an empty zone, at 3, 50, 500, 1,500
 * and 5,000 members, each interleaved with the 3-member sync as its yardstick. The growth
 * exponent between neighbouring rows says whether the cost is linear in members (1.0).
 * Past 1,707 members with these targets (nN.c.example.com) the SRV answer exceeds 64 KiB
 * over TCP (etcd could not read it): srvctl refuses that at plan time (src/plan/limits.ts),
 * so the 5,000 row says so instead of a time, and 1,500 is the largest row measured.
 */
export async function scaleBench(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'srvctl-bench-scale-'));
  try {
    const rss = new Map<number, number[]>();
    const syncOf = (members: number) => {
      const zone = join(dir, `z${members}.zone`);
      const file = join(dir, `c${members}.yaml`);
      return async () => {
        await rm(zone, { force: true });
        await writeFile(file, manifest(members, zone));
        const r = await nodeWithMaxRss([CLI, 'sync', file, '--yes', '--no-verify', '--member', 'n0']);
        if (r.code !== 0) throw new Refused(`sync of ${members} members exited ${r.code}`);
        rss.set(members, [...(rss.get(members) ?? []), r.maxRssKiB / 1024]);
        return r.ms;
      };
    };
    const rows: Row[] = [];
    let prev: { members: number; ms: number } | undefined;
    for (const members of [3, 50, 500, 1500, 5000]) {
      let m;
      try {
        m = await interleaved(members >= 1500 ? 3 : 5, syncOf(members), syncOf(3));
      } catch (e) {
        if (!(e instanceof Refused) || members < 5000) throw e;
        rows.push({ what: `srvctl sync of ${members} members`, value: `refused (${e.message})`, yardstick: 'the same sync of 3 members', yardstickValue: '', ratio: '', goal: 'refused at plan time: the SRV answer would pass 64 KiB (1,707 of these targets fit)' });
        continue;
      }
      const exponent = prev ? Math.log(m.subject.median / prev.ms) / Math.log(members / prev.members) : undefined;
      rows.push({
        what: `srvctl sync of ${members} members from an empty zone file (--no-verify; peak ${median(rss.get(members) ?? [0]).toFixed(0)} MiB)${exponent === undefined ? '' : `; grows as N^${exponent.toFixed(2)} from ${prev!.members}`}`,
        value: fmtStats(m.subject),
        yardstick: 'the same sync of 3 members',
        yardstickValue: fmtStats(m.yardstick),
        ratio: `${m.ratio.median.toFixed(1)}× (${(m.subject.median / members).toFixed(2)} ms per member)`,
        goal: 'linear in members',
      });
      prev = { members, ms: m.subject.median };
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
