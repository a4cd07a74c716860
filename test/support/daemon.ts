import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run, stop } from './run.js';

/**
 * What BIND and Knot (and any other reference server a test runs) share: a folder of its
 * own, one foreground process logging to a file there, started until a probe query gets an
 * answer (or the process exits), stopped by PID, and the folder removed when it is owned.
 */
export abstract class ServerDaemon {
  readonly dir: string;
  private child?: ChildProcess;

  constructor(
    dir: string,
    private readonly ownsDir: boolean,
    /** what the log file and failure messages call it */
    private readonly label: string,
  ) {
    this.dir = dir;
  }

  private get logFile(): string {
    return join(this.dir, `${this.label}.log`);
  }

  /** Fails (never skips) when `binary` is missing: .ci/run installs it. */
  protected async requireBinary(binary: string, pkg: string): Promise<void> {
    const which = await run('sh', ['-c', `command -v ${binary}`]);
    if (which.code !== 0) throw new Error(`${binary} is not installed: .ci/run must install ${pkg}`);
  }

  /**
   * Spawns the server, then asks `probe` (a dig/kdig of the zone's SOA) until it answers.
   * A server that exits first, or never answers, fails with its log; one that never came
   * up is stopped and its folder removed before the error is thrown.
   */
  protected async launch(argv: string[], probe: () => Promise<boolean>): Promise<void> {
    const log = openSync(this.logFile, 'w');
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    for (let i = 0; i < 80; i++) {
      if (await probe()) return;
      if (child.exitCode !== null) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const output = this.log();
    await this.dispose();
    throw new Error(`${this.label} did not come up:\n${output}`);
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stop(child, 3000);
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
