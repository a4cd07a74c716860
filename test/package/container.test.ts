import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, run, type RunResult } from '../support/run.js';

/**
 * examples/container/Containerfile, replayed without a container engine (no base image can
 * be pulled here): each stage gets an empty folder for its file system, COPY copies from
 * the build context (the checkout) or from the build stage's folder, RUN runs in the
 * stage's WORKDIR, and the entry point then runs as the image's USER in a folder that
 * holds the runtime stage's files and nothing else. The base image only contributes
 * node, which the host's stands in for. An instruction the replay does not know fails
 * the test, so the file stays as plain as the replay is faithful.
 */
const FILE = join(ROOT, 'examples/container/Containerfile');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

interface Instruction {
  op: string;
  args: string;
  line: number;
}

interface Stage {
  name: string;
  root: string;
  workdir: string;
  user?: { uid: number; gid: number };
  entrypoint?: string[];
  cmd?: string[];
}

function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const at = i + 1;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\')) line = `${line.slice(0, -1)} ${lines[++i] ?? ''}`;
    const m = /^(\w+)\s+(.*)$/.exec(line.trim());
    assert.ok(m, `Containerfile:${at}: not an instruction`);
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: at });
  }
  return out;
}

/** A path inside a stage's file system, as a path on this host. */
const inStage = (stage: Stage, p: string) => join(stage.root, p.startsWith('/') ? p : join(stage.workdir, p));

/** COPY's rules: a directory source copies its contents; several sources, or a dest ending in /, go into a directory. */
function copy(sources: string[], dest: string, from: (p: string) => string, stage: Stage): void {
  const target = inStage(stage, dest);
  const intoDir = sources.length > 1 || dest.endsWith('/');
  for (const s of sources) {
    const src = from(s);
    assert.ok(existsSync(src), `COPY ${s}: no such path`);
    if (statSync(src).isDirectory()) cpSync(src, target, { recursive: true });
    else {
      mkdirSync(intoDir ? target : join(target, '..'), { recursive: true });
      cpSync(src, intoDir ? join(target, s.split('/').pop()!) : target);
    }
  }
}

async function replay(text: string, scratch: string): Promise<{ stages: Stage[]; runs: RunResult[] }> {
  const stages: Stage[] = [];
  const runs: RunResult[] = [];
  for (const ins of instructions(text)) {
    const stage = stages[stages.length - 1];
    if (ins.op !== 'FROM') assert.ok(stage, `Containerfile:${ins.line}: ${ins.op} before FROM`);
    switch (ins.op) {
      case 'FROM': {
        const [, name] = /^\S+(?:\s+AS\s+(\S+))?$/i.exec(ins.args) ?? [];
        const root = join(scratch, `stage-${stages.length}`);
        mkdirSync(root);
        chmodSync(root, 0o755);
        stages.push({ name: name ?? String(stages.length), root, workdir: '/' });
        break;
      }
      case 'WORKDIR':
        stage!.workdir = ins.args.trim();
        mkdirSync(inStage(stage!, '.'), { recursive: true });
        break;
      case 'COPY': {
        const words = ins.args.split(/\s+/);
        const fromFlag = words[0]!.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
        assert.ok(!words.some((w) => w.startsWith('--')), `Containerfile:${ins.line}: COPY flags other than --from are not replayed`);
        const dest = words.pop()!;
        const source = fromFlag ? stages.find((s) => s.name === fromFlag) : undefined;
        if (fromFlag) assert.ok(source, `Containerfile:${ins.line}: no stage ${fromFlag}`);
        copy(words, dest, (p) => (source ? join(source.root, p) : join(ROOT, p)), stage!);
        break;
      }
      case 'RUN': {
        // npm finds its cache in HOME, as a build would find it in a cache mount.
        const r = await run('sh', ['-c', ins.args], { cwd: inStage(stage!, '.'), env: { HOME: process.env.HOME ?? '/root' }, timeoutMs: 600_000 });
        assert.equal(r.code, 0, `Containerfile:${ins.line}: RUN ${ins.args}\n${r.stderr.slice(-4000)}`);
        runs.push(r);
        break;
      }
      case 'USER': {
        const [uid, gid] = ins.args.trim().split(':').map(Number);
        assert.ok(Number.isInteger(uid) && Number.isInteger(gid ?? uid), `Containerfile:${ins.line}: USER must be numeric uid:gid (no /etc/passwd in the image to look names up)`);
        stage!.user = { uid: uid!, gid: gid ?? uid! };
        break;
      }
      case 'ENTRYPOINT':
        stage!.entrypoint = JSON.parse(ins.args);
        break;
      case 'CMD':
        stage!.cmd = JSON.parse(ins.args);
        break;
      default:
        assert.fail(`Containerfile:${ins.line}: ${ins.op} is not replayed by this test: keep the Containerfile to FROM, WORKDIR, COPY, RUN, USER, ENTRYPOINT, CMD`);
    }
  }
  return { stages, runs };
}

describe('examples/container/Containerfile, replayed step by step', function () {
  this.timeout(900_000);
  let scratch: string;
  let runtime: Stage;
  /** The image's entry point with `args`, as its USER, seeing only the runtime stage's files. */
  let image: (args: string[]) => Promise<RunResult>;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'srvctl-image-'));
    chmodSync(scratch, 0o755);
    const { stages } = await replay(readFileSync(FILE, 'utf8'), scratch);
    assert.equal(stages.length, 2, 'a build stage and a runtime stage');
    runtime = stages[1]!;
    assert.ok(runtime.user, 'the image runs as an unprivileged USER');
    assert.ok(runtime.entrypoint, 'the image has an ENTRYPOINT');
    const [exe, ...rest] = runtime.entrypoint!;
    assert.equal(exe, 'node', 'the entry point is the base image\'s node');
    const argv0 = rest.map((a) => (a.startsWith('/') ? join(runtime.root, a) : a));
    image = (args) =>
      run('setpriv', ['--reuid', String(runtime.user!.uid), '--regid', String(runtime.user!.gid), '--clear-groups', '--', process.execPath, ...argv0, ...args], {
        cwd: inStage(runtime, '.'),
        env: { HOME: '/nonexistent' },
      });
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('the runtime stage holds the bundle alone: no node_modules, sources or tests', () => {
    const app = inStage(runtime, '.');
    assert.ok(existsSync(join(app, 'dist/bundle/cli.js')), 'the bundle is in the image');
    for (const absent of ['node_modules', 'src', 'test', 'dist/test', 'dist/src']) assert.ok(!existsSync(join(app, absent)), `${absent} stays out of the runtime stage`);
  });

  it('its entry point answers --version, the default CMD, and validates a manifest, as the image USER', async () => {
    const v = await image(['--version']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
    const help = await image(runtime.cmd ?? []);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: srvctl/);
    const manifests = join(scratch, 'clusters');
    mkdirSync(manifests);
    chmodSync(manifests, 0o755);
    writeFileSync(join(manifests, 'cluster.yaml'), readFileSync(join(FIXTURES, 'cluster.yaml')));
    const ok = await image(['validate', join(manifests, 'cluster.yaml'), '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).valid, true);
    writeFileSync(join(manifests, 'bad.yaml'), 'version: 1\ncluster: x\nmembers: []\n');
    const bad = await image(['validate', join(manifests, 'bad.yaml')]);
    assert.equal(bad.code, 65, 'the precompiled validator made it into the image');
  });
});
