#!/usr/bin/env node
'use strict';
// dist/bundle/cli.js, the package's bin (scripts/bundle.mjs copies this file there).
// srvctl itself is one CommonJS file, app.cjs, next to this one. It is compiled through
// vm.Script with the V8 code cache that the build wrote (app.cjs.cache): with it, V8
// neither parses the bundle nor compiles the functions the build's training runs used,
// which was about half of a validate's start-up. A cache V8 rejects (another Node or V8
// version, other V8 flags) costs one read: the source is then compiled as usual.
// Node 20 has no module.enableCompileCache, and its ES-module loader takes no cached data,
// hence CommonJS and vm.Script.
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const file = join(__dirname, 'app.cjs');
const cacheFile = `${file}.cache`;
const sha256 = (buf) => createHash('sha256').update(buf).digest();
const source = readFileSync(file);
// app.cjs.cache is [SHA-256 of app.cjs][SHA-256 of the V8 data][the V8 data]. V8 checks a
// cache only against the source's length (and, in release builds, not against itself), so
// an app.cjs edited to the same length would run the old code, and a damaged cache could
// run wrong bytecode or crash V8. A cache that does not match both is not used: the source
// is compiled as without one (about 1 ms for the two hashes).
const sourceDigest = sha256(source);
let cachedData;
try {
  const stored = readFileSync(cacheFile);
  const data = stored.subarray(64);
  if (data.length > 0 && stored.subarray(0, 32).equals(sourceDigest) && stored.subarray(32, 64).equals(sha256(data))) cachedData = data;
} catch {
  // No cache (a build that skipped training): compile from source.
}
// The wrapper stays on the source's first line, so stack traces keep app.cjs's line numbers.
const script = new Script(`(function (exports, require, module, __filename, __dirname, __srvctlModuleUrl, __srvctlImport) {${source.toString('utf8')}\n})`, { filename: file, cachedData });
// Build time only (scripts/bundle.mjs): after a training run, store what V8 compiled. A
// folder that cannot be written keeps its cache; the run's own result stands.
if (process.env.SRVCTL_WRITE_CODE_CACHE === '1') {
  process.once('exit', () => {
    try {
      const data = script.createCachedData();
      writeFileSync(cacheFile, Buffer.concat([sourceDigest, sha256(data), data]));
    } catch {
      // not writable: nothing to say on a run that is not the build's
    }
  });
}
const mod = { exports: {} };
// app.cjs's import() calls, rewritten by the build (vm.Script code has no import() of its own):
// specifiers resolve from this folder, app.cjs's own.
const importFromHere = (specifier) => import(specifier);
script.runInThisContext()(mod.exports, require, mod, file, __dirname, pathToFileURL(file).href, importFromHere);
