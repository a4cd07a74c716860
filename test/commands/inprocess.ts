import { makePaint, type Context } from '../../src/commands/context.js';
import { exitCodeFor, isSrvctlError } from '../../src/errors.js';
import type { RunResult } from '../support/run.js';

/**
 * A command run in this process over buffers, with the exit code and the error lines
 * cli.ts would give: what a CLI test asserts, without paying a process (and a Cloudflare
 * SDK import) per run. Argument parsing stays covered by the few spawning tests.
 */
export async function inProcess(env: Record<string, string>, command: (ctx: Context) => Promise<number>, json = false): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const ctx: Context = {
    json,
    verbose: false,
    debug: false,
    env,
    stdinIsTTY: false,
    stderrIsTTY: false,
    out: (t) => void (json ? (stderr += t) : (stdout += t)),
    err: (t) => void (stderr += t),
    emit: (doc) => void (stdout += `${JSON.stringify(doc, null, 2)}\n`),
    paint: makePaint(false),
    errPaint: makePaint(false),
    providerContext: () => ({ env, debug: () => {}, now: () => new Date() }),
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
