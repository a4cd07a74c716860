import { run } from './run.js';

export interface DigResult {
  status: string;
  flags: string[];
  answers: { name: string; ttl: number; type: string; rdata: string }[];
  authority: { name: string; ttl: number; type: string; rdata: string }[];
  raw: string;
}

function section(raw: string, title: string) {
  const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(\\n\\n|$)`).exec(raw);
  if (!m) return [];
  return m[1]!
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => {
      const [name, ttl, , type, ...rest] = l.split(/\s+/);
      return { name: name!.replace(/\.$/, '').toLowerCase(), ttl: Number(ttl), type: type!, rdata: rest.join(' ') };
    });
}

/** `dig` is the yardstick: when it is missing, tests fail with a message rather than skip. */
export async function dig(server: string, port: number, name: string, type: string, extra: string[] = []): Promise<DigResult> {
  const r = await run('dig', [`@${server}`, '-p', String(port), name, type, '+norec', '+time=2', '+tries=1', ...extra]);
  if (r.code !== 0) throw new Error(`dig failed (${r.code}): ${r.stdout}${r.stderr}`);
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? 'NONE';
  const flags = (/;; flags: ([a-z ]+);/.exec(r.stdout)?.[1] ?? '').trim().split(/\s+/);
  return { status, flags, answers: section(r.stdout, 'ANSWER'), authority: section(r.stdout, 'AUTHORITY'), raw: r.stdout };
}
