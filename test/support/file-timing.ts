import { appendFileSync, readFileSync } from 'node:fs';

/**
 * A mocha root-hook plugin for finding the suite's long poles: with SRVCTL_TEST_TIMING=FILE,
 * each test file appends "<wall ms> <cpu ms> <file>" to FILE when it ends (root hooks run
 * once per file in --parallel mode). CPU counts the worker and every child it waited for
 * (/proc/self/stat utime+stime+cutime+cstime). Not loaded unless asked for:
 *   SRVCTL_TEST_TIMING=/tmp/t.txt npx mocha --parallel --require dist/test/support/file-timing.js
 */
const out = process.env.SRVCTL_TEST_TIMING;
let started = 0;
let cpuAtStart = 0;

/** CPU time of this process and its reaped children, in ms (clock ticks are 1/100 s on Linux). */
function cpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime..cstime are fields 14..17
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
}

export const mochaHooks = {
  beforeAll() {
    started = Date.now();
    cpuAtStart = cpuMs();
  },
  afterAll(this: Mocha.Context) {
    if (!out) return;
    const files = [...new Set((this.test?.parent?.suites ?? []).map((s) => s.file).filter(Boolean))];
    appendFileSync(out, `${Date.now() - started} ${cpuMs() - cpuAtStart} ${files.join(',').replace(/.*dist\/test\//, '')}\n`);
  },
};
