import { EXIT, SrvctlError } from '../errors.js';
import { FORMATS, type Format } from '../render/formats.js';
import { renderMembers, renderShared } from '../render/render.js';
import type { Context } from './context.js';
import { loadManifest } from './manifest.js';
import { emitConfigs } from './output.js';

export interface RenderFlags {
  format?: string;
  member?: string;
  out?: string;
  shared?: boolean;
}

export function parseFormat(value: string | undefined): Format {
  const f = value ?? 'cloud-config';
  if (!(FORMATS as readonly string[]).includes(f)) throw new SrvctlError('usage', `unknown --format "${f}" (one of ${FORMATS.join(', ')})`);
  return f as Format;
}

export async function render(ctx: Context, file: string, flags: RenderFlags): Promise<number> {
  const format = parseFormat(flags.format);
  const manifest = await loadManifest(ctx, file);
  // renderShared refuses, naming why, where the consumer fills in no address
  const docs = flags.shared ? [renderShared(manifest, format)] : renderMembers(manifest, format, flags.member);
  const written = await emitConfigs(ctx, docs, flags.out);
  if (ctx.json) ctx.emit({ cluster: manifest.cluster, format, configs: written });
  return EXIT.ok;
}
