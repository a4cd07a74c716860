import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { colorFor } from '../../src/commands/context.js';
import { CLI, FIXTURES, run, scratch, srvctl } from '../support/run.js';

/** srvctl at a shell: completion scripts, a closed pipe, colour, and a bare `srvctl`. */
describe('srvctl in a shell', function () {
  this.timeout(120_000);

  describe('completion', () => {
    let scripts: Record<string, string>;
    before(async () => {
      scripts = {};
      for (const shell of ['bash', 'zsh', 'fish']) {
        const r = await srvctl(['completion', shell]);
        assert.equal(r.code, 0, r.stderr);
        scripts[shell] = r.stdout;
      }
    });

    /** What bash's completion function offers for the words typed so far. */
    const bashComplete = async (words: string[]) => {
      const script = `${scripts.bash}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _srvctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = await run('bash', ['--norc', '-c', script]);
      assert.equal(r.stderr, '');
      return r.stdout.split('\n').filter(Boolean).sort();
    };

    it('bash: the script loads in bash -c and completes commands, then the flags of the command typed', async () => {
      assert.deepEqual(await bashComplete(['srvctl', 's']), ['schema', 'serve', 'sync']);
      assert.deepEqual(await bashComplete(['srvctl', 'c']), ['check', 'completion']);
      assert.deepEqual(await bashComplete(['srvctl', 'drift', '--p']), ['--prom-file']);
      assert.deepEqual(await bashComplete(['srvctl', '--json', 'sync', '--d']), ['--debug', '--dry-run'], 'global flags before the command are skipped');
      assert.deepEqual(await bashComplete(['srvctl', 'completion', 'f']), ['fish']);
      // Every command of the help text completes: the script is built from the program itself.
      const help = await srvctl(['--help']);
      const commands = [...help.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
      assert.ok(commands.length >= 10);
      assert.deepEqual((await bashComplete(['srvctl', ''])).filter((w) => !w.startsWith('-')), [...commands].sort());
    });

    it('fish: the script loads and `complete -C` offers commands with descriptions, and flags', async () => {
      const ask = async (line: string) => {
        const r = await run('fish', ['--no-config', '-c', `${scripts.fish}\ncomplete -C ${JSON.stringify(line)}`]);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.split('\n').filter(Boolean);
      };
      const cmds = await ask('srvctl dr');
      assert.equal(cmds.length, 1);
      assert.match(cmds[0]!, /^drift\t\S/);
      assert.ok((await ask('srvctl render --fo')).some((l) => l.startsWith('--format')));
      assert.deepEqual((await ask('srvctl completion z')).map((l) => l.split('\t')[0]), ['zsh']);
    });

    it('zsh: the script passes zsh -n and registers _srvctl with compinit', async () => {
      const { dir, cleanup } = await scratch();
      try {
        const file = join(dir, '_srvctl');
        writeFileSync(file, scripts.zsh!);
        const syntax = await run('zsh', ['-n', file]);
        assert.equal(syntax.code, 0, syntax.stderr);
        assert.match(scripts.zsh!, /^#compdef srvctl$/m);
        const r = await run('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source ${file} && print -r -- $_comps[srvctl]`]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), '_srvctl');
      } finally {
        await cleanup();
      }
    });

    it('another shell is a usage error (exit 64)', async () => {
      const r = await srvctl(['completion', 'tcsh']);
      assert.equal(r.code, 64);
      assert.match(r.stderr, /bash, zsh or fish/);
    });
  });

  it('no arguments: the help on stderr, nothing on stdout, exit 64', async () => {
    const r = await srvctl([]);
    assert.equal(r.code, 64);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: srvctl /);
    assert.match(r.stderr, /^ {2}plan /m);
    const optionsOnly = await srvctl(['--json']);
    assert.equal(optionsOnly.code, 64, 'options but no command');
    assert.equal(JSON.parse(optionsOnly.stdout).error.code, 'usage');
    const asked = await srvctl(['--help']);
    assert.equal(asked.code, 0, 'help asked for is a success');
    assert.match(asked.stdout, /^Usage: srvctl /);
  });

  it('`srvctl plan … | head -1` and `| true`: never a stack trace, the exit code stays plan\'s', async () => {
    const { dir, cleanup } = await scratch('cluster.yaml');
    try {
      // `| true` closes the pipe before node has started (true exits in a millisecond, node
      // takes tens), so every write of those runs meets EPIPE: the case is forced, not
      // hoped for. `| head -1` is the everyday one, where head leaves after the first line.
      // One bash runs them all, four at a time (O_APPEND keeps each line whole).
      const script = `once() { node ${CLI} plan cluster.yaml 2>>err.txt | head -1 >>first.txt; echo "\${PIPESTATUS[0]}" >>codes.txt; }
gone() { node ${CLI} plan cluster.yaml 2>>err.txt | true; echo "\${PIPESTATUS[0]}" >>codes.txt; }
export -f once gone
{ seq 12 | sed 's/^/once /'; seq 12 | sed 's/^/gone /'; } | xargs -P 4 -L 1 bash -c '"$0"'
cat err.txt; echo ===; sort first.txt | uniq -c; echo ===; sort codes.txt | uniq -c`;
      const r = await run('bash', ['-c', script], { cwd: dir, timeoutMs: 120_000 });
      const [err, first, codes] = r.stdout.split('===\n');
      assert.equal(err, '', 'nothing on stderr: no EPIPE, no stack trace');
      assert.match(first!.trim(), /^12 srvctl plan: cluster prod-etcd/);
      assert.equal(codes!.trim(), '24 2', 'exit 2 (changes pending) every time');
    } finally {
      await cleanup();
    }
  });

  it('FORCE_COLOR colours output that is no terminal; NO_COLOR and FORCE_COLOR=0 turn it off', async () => {
    assert.equal(colorFor({}, false), false);
    assert.equal(colorFor({}, true), true);
    assert.equal(colorFor({ NO_COLOR: '1' }, true), false);
    assert.equal(colorFor({ NO_COLOR: '' }, true), true, 'an empty NO_COLOR is unset (no-color.org)');
    assert.equal(colorFor({ FORCE_COLOR: '1' }, false), true);
    assert.equal(colorFor({ FORCE_COLOR: '' }, false), true);
    assert.equal(colorFor({ FORCE_COLOR: '1', NO_COLOR: '1' }, false), true, 'FORCE_COLOR wins, as in Node itself');
    assert.equal(colorFor({ FORCE_COLOR: '0' }, true), false);
    assert.equal(colorFor({ FORCE_COLOR: 'false' }, true), false);
    const { dir, cleanup } = await scratch('cluster.yaml');
    try {
      const manifest = join(dir, 'cluster.yaml');
      // run() sets NO_COLOR=1 for every spawn, so these also show FORCE_COLOR winning over it.
      const forced = await srvctl(['plan', manifest], { env: { FORCE_COLOR: '1' } });
      assert.equal(forced.code, 2);
      assert.match(forced.stdout, /\x1b\[32m {2}\+ node1\.coreos\.example\.com\. 300 IN A 10\.0\.0\.1\x1b\[39m/, 'a piped plan is painted under FORCE_COLOR');
      const json = await srvctl(['plan', manifest, '--json'], { env: { FORCE_COLOR: '1' } });
      assert.doesNotMatch(json.stdout, /\x1b\[/, 'the JSON document is never painted');
      const plain = await srvctl(['plan', manifest]);
      assert.doesNotMatch(plain.stdout, /\x1b\[/, 'NO_COLOR: no escape codes');
      const off = await srvctl(['validate', '/dev/null'], { env: { FORCE_COLOR: '0', NO_COLOR: '' } });
      assert.doesNotMatch(off.stderr, /\x1b\[/, 'FORCE_COLOR=0: no escape codes');
      const on = await srvctl(['validate', '/dev/null'], { env: { FORCE_COLOR: '1' } });
      assert.match(on.stderr, /\x1b\[31m/, 'stderr is painted as well');
    } finally {
      await cleanup();
    }
  });
});
