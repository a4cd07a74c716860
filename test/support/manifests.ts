import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireManifest } from '../../src/manifest/load.js';
import type { Manifest } from '../../src/manifest/types.js';
import { FIXTURES } from './run.js';

export const fixtureText = () => readFileSync(join(FIXTURES, 'cluster.yaml'), 'utf8');

/** The fixture manifest, optionally edited as text first. */
export function fixtureManifest(edit: (text: string) => string = (t) => t): Manifest {
  return requireManifest(join(FIXTURES, 'cluster.yaml'), edit(fixtureText())).manifest;
}
