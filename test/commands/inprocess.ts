import { makePaint, type Context } from '../../src/commands/context.js';
import { exitCodeFor, isSrvctlError } from '../../src/errors.js';
import type { RunResult } from '../support/run.js';

/**
 * A command run in this process over buffers, with the exit code and the error lines
 * cli.ts would give: what a CLI test asserts, without paying a process (and a Cloudflare
 * SDK import) per run. Argument parsing stays covered by the few spawning tests.
 */
export async function inProcess(env: Record<string, string>, command: (ctx: Context) => Promise<number>, json = false, verbose = false, sleep?: (ms: number) => Promise<void>): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const ctx: Context = {
    json,
    verbose,
    debug: false,
    env,
    stdinIsTTY: false,
    stderrIsTTY: false,
    out: (t) => void (json ? (stderr += t) : (stdout += t)),
    err: (t) => void (stderr += t),
    emit: (doc) => void (stdout += `${JSON.stringify(doc, null, 2)}\n`),
    paint: makePaint(false),
    errPaint: makePaint(false),
    providerContext: () => ({ env, debug: (m) => void (verbose && (stderr += `debug: ${m}\n`)), now: () => new Date(), ...(sleep ? { sleep } : {}) }),
    confirm: async () => false,
  };
  try {
    return { code: await command(ctx), stdout, stderr };
  } catch (e) {
    if (!isSrvctlError(e)) throw e;
    stderr += `srvctl: ${e.message}\n${e.details.map((d) => `  ${d}\n`).join('')}`;
    if (json) stdout += `${JSON.stringify({ ...(e.data ?? {}), error: { code: e.code, message: e.message, details: e.details } }, null, 2)}\n`;
    return { code: exitCodeFor(e), stdout, stderr };
  }
}

const VALUE_FLAGS = ['--member', '--format', '--out', '--etcd-endpoints', '--manifest', '--etcd-version', '--service-name', '--timeout', '--retries', '--prom-file', '--concurrency'];
const camel = (flag: string) => flag.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * `srvctl plan|sync|drift|check ARGS [flags]` in this process, for tests that need no
 * argument parsing of their own (cli.test.ts keeps commander covered by spawning).
 */
export async function cliInProcess(args: string[], opts: { env?: Record<string, string> } = {}): Promise<RunResult> {
  const [command, ...rest] = args;
  const positional: string[] = [];
  const flags: Record<string, string | boolean | string[] | undefined> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--no-verify') flags.verify = false;
    else if (a === '--ns') flags.ns = [...((flags.ns as string[] | undefined) ?? []), rest[++i]!];
    else if (VALUE_FLAGS.includes(a)) flags[camel(a)] = rest[++i]!;
    else if (a.startsWith('--')) flags[camel(a)] = true;
    else positional.push(a);
  }
  const json = flags.json === true;
  const verbose = flags.verbose === true;
  const env = opts.env ?? {};
  switch (command) {
    case 'sync': {
      const { sync } = await import('../../src/commands/sync.js');
      return inProcess(env, (ctx) => sync(ctx, positional[0]!, flags), json, verbose);
    }
    case 'plan': {
      const { plan } = await import('../../src/commands/plan.js');
      return inProcess(env, (ctx) => plan(ctx, positional[0]!, flags), json, verbose);
    }
    case 'drift': {
      const { drift } = await import('../../src/commands/drift.js');
      return inProcess(env, (ctx) => drift(ctx, positional, flags), json, verbose);
    }
    case 'check': {
      const { check } = await import('../../src/commands/check.js');
      return inProcess(env, (ctx) => check(ctx, positional[0]!, flags), json, verbose);
    }
    default:
      throw new Error(`cliInProcess: ${command} is not wired`);
  }
}
