import { readFile } from 'node:fs';
import { SrvctlError } from '../errors.js';
import { formatFinding, requireManifest } from '../manifest/load.js';
import type { Manifest } from '../manifest/types.js';
import type { Context } from './context.js';

/** node:fs's callback API: node:fs/promises would load a dozen node internals into validate's start. */
const readUtf8 = (file: string) => new Promise<string>((resolve, reject) => readFile(file, 'utf8', (e, text) => (e ? reject(e) : resolve(text))));

export async function readText(file: string): Promise<string> {
  try {
    return await readUtf8(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new SrvctlError('usage', `cannot read ${file}: ${why}`);
  }
}

/** Loads a manifest; warnings go to stderr, errors become one SrvctlError listing all of them. */
export async function loadManifest(ctx: Context, file: string): Promise<Manifest> {
  const { manifest, warnings } = requireManifest(file, await readText(file));
  for (const w of warnings) ctx.err(`${ctx.errPaint.change(formatFinding(w))}\n`);
  return manifest;
}
