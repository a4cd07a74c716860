// Mocha adds files named on the command line to the configured spec instead of replacing
// it, so `npx mocha dist/test/x.test.js` would run the whole suite: name files, get files
// (run in this process, one after the other, as a debugger wants them).
//
// No files named: the whole suite, in parallel worker processes. Most of its time is spent
// waiting on real servers and etcd, so more workers than cores pay. Workers take files in
// the order given, so the long poles (measured with test/support/file-timing.js) start
// first and the short files fill in around them; every other file follows in path order.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const named = process.argv.slice(2).filter((a) => !a.startsWith('-') && a.endsWith('.test.js'));

const LONG_FIRST = [
  'package/container.test.js',
  'hardening/secrets.test.js',
  'lifecycle/etcd-life.test.js',
  'predict/etcd-real-35.test.js',
  'predict/etcd-real-34.test.js',
  'providers/cloudflare.test.js',
  'drift/etcd-drift.test.js',
  'render/etcd-boot.test.js',
  'commands/cli.test.js',
  'conformance/zonemaster.test.js',
  'predict/etcd-real-35sid.test.js',
  'lifecycle/etcd-destroy.test.js',
  'reconcile/guards.test.js',
  'conformance/etcd-serve.test.js',
  'package/installed.test.js',
  'hardening/fuzz.test.js',
  'hardening/crash.test.js',
  'writes/zonefile-lock.test.js',
];

function testFiles(dir, rel = '') {
  const out = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...testFiles(dir, path));
    else if (e.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function suite() {
  let all;
  try {
    all = testFiles('dist/test').sort();
  } catch {
    return ['dist/test/**/*.test.js']; // not built: let mocha say it found nothing
  }
  const first = LONG_FIRST.filter((f) => all.includes(f));
  return [...first, ...all.filter((f) => !first.includes(f))].map((f) => `dist/test/${f}`);
}

module.exports = {
  spec: named.length ? [] : suite(),
  parallel: named.length === 0,
  jobs: 6,
  timeout: 20000,
  reporter: 'spec',
  exit: true,
};
