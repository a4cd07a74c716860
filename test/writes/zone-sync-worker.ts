/**
 * One in-process sync of a manifest onto its zone file, for the cross-process lock test:
 * prints {"ok":true} or {"ok":false,"error":...} on stdout. Started by the test, one per cluster.
 */
import { readFileSync } from 'node:fs';
import { SrvctlError } from '../../src/errors.js';
import { manifestFrom, syncInProcess } from './pipeline.js';

const file = process.argv[2]!;
try {
  await syncInProcess(manifestFrom(file, readFileSync(file, 'utf8')));
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (e) {
  if (!(e instanceof SrvctlError)) throw e;
  process.stdout.write(JSON.stringify({ ok: false, error: e.message }));
}
