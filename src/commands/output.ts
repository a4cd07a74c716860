import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SrvctlError } from '../errors.js';
import { EXTENSION } from '../render/formats.js';
import type { Rendered } from '../render/render.js';
import { writeAtomic } from '../util/atomic-write.js';
import type { Context } from './context.js';

/** Writes one file per member under `dir`, or prints the documents; returns what JSON reports. */
export async function emitConfigs(ctx: Context, docs: Rendered[], dir?: string): Promise<{ member: string; format: string; path: string | null; text: string }[]> {
  if (dir) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new SrvctlError('io', `cannot create ${dir}: ${(e as Error).message}`);
    }
    const out = [];
    for (const d of docs) {
      const path = join(dir, `${d.member}.${EXTENSION[d.format]}`);
      try {
        await writeAtomic(path, d.text);
      } catch (e) {
        throw new SrvctlError('io', `cannot write ${path}: ${(e as Error).message}`);
      }
      ctx.err(`wrote ${path}\n`);
      out.push({ member: d.member, format: d.format, path, text: d.text });
    }
    return out;
  }
  if (!ctx.json) ctx.out(docs.map((d) => d.text).join('---\n'));
  return docs.map((d) => ({ member: d.member, format: d.format, path: null, text: d.text }));
}
