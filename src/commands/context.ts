import { isatty } from 'node:tty';
import { Chalk } from 'chalk';
import { parseHostPort } from '../manifest/hostport.js';
import type { Paint } from '../plan/format.js';
import type { ProviderContext } from '../../providers/provider.js';

export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

/**
 * Everything a command may touch of the outside world. Commands print only through it;
 * tests build one over buffers.
 */
export interface Context {
  json: boolean;
  verbose: boolean;
  debug: boolean;
  env: Readonly<Record<string, string | undefined>>;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  /** human output meant for stdout; goes to stderr under --json */
  out(text: string): void;
  /** diagnostics and progress: always stderr */
  err(text: string): void;
  /** the one JSON document of --json */
  emit(doc: unknown): void;
  paint: Paint;
  errPaint: Paint;
  providerContext(): ProviderContext;
  /** ask a yes/no question on the terminal */
  confirm(question: string): Promise<boolean>;
}

export function makePaint(enabled: boolean): Paint {
  const c = new Chalk({ level: enabled ? 1 : 0 });
  return { add: c.green, change: c.yellow, remove: c.red, conflict: c.magenta, dim: c.dim, bold: c.bold };
}

/**
 * Whether a stream gets colour. FORCE_COLOR wins over everything (CI logs are no terminal
 * but render colour): any value but "0"/"false" turns it on, "0"/"false" off. Otherwise a
 * non-empty NO_COLOR turns it off, and else only a terminal gets colour.
 */
export function colorFor(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY;
}

export function processContext(opts: GlobalOptions): Context {
  const env = process.env;
  const json = !!opts.json;
  const ctx: Context = {
    json,
    verbose: !!opts.verbose || !!opts.debug,
    debug: !!opts.debug,
    env,
    // What process.stdin.isTTY says, without making process.stdin (a stream, and a dozen
    // node internals loaded for it, on every command's start).
    stdinIsTTY: isatty(0),
    stderrIsTTY: !!process.stderr.isTTY,
    out: (text) => (json ? process.stderr : process.stdout).write(text),
    err: (text) => process.stderr.write(text),
    emit: (doc) => process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`),
    // stdout under --json is one JSON document: never painted.
    paint: makePaint(!json && colorFor(env, !!process.stdout.isTTY)),
    errPaint: makePaint(colorFor(env, !!process.stderr.isTTY)),
    providerContext: () => ({
      env,
      debug: (m) => {
        if (ctx.verbose) process.stderr.write(`debug: ${m}\n`);
      },
      now: () => new Date(),
      // NS hosts outside a provider's zone: asked of resolv.conf's nameservers through srvctl's own DNS client.
      // Loaded on first use: the DNS client is no part of validate's or render's start-up.
      lookupHost: async (host) => {
        const [{ lookupVia }, { getServers }] = await Promise.all([import('../dns/host-lookup.js'), import('node:dns')]);
        return lookupVia(getServers().flatMap((s) => parseHostPort(s, 53) ?? []), { timeoutMs: 2000, retries: 1 })(host);
      },
    }),
    confirm: async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };
  return ctx;
}
