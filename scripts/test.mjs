// npm test: the type check (tsc --noEmit) and the suite (mocha, which reads .mocharc.cjs)
// run side by side on the esbuild output of scripts/transpile.mjs. Either failing fails
// the run; tsc's findings are printed after the suite's report, so they are not lost in it.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules/.bin', name);

const tscOut = [];
const tsc = spawn(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
tsc.stdout.on('data', (d) => tscOut.push(d));
tsc.stderr.on('data', (d) => tscOut.push(d));
const mocha = spawn(bin('mocha'), process.argv.slice(2), { cwd: root, stdio: 'inherit' });

const exit = (child) => new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
// The suite stops on SIGINT with the terminal; tsc is ours to stop.
process.on('SIGINT', () => tsc.kill('SIGTERM'));
const [tests, types] = await Promise.all([exit(mocha), exit(tsc)]);
if (types !== 0) process.stderr.write(`\ntsc --noEmit found type errors (exit ${types}):\n${Buffer.concat(tscOut).toString()}`);
else process.stderr.write('tsc --noEmit: no type errors\n');
process.exit(tests !== 0 ? tests : types);
