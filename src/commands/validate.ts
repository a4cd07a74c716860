import { EXIT } from '../errors.js';
import { formatFinding, parseManifest } from '../manifest/load.js';
import type { Context } from './context.js';
import { readText } from './manifest.js';

export async function validate(ctx: Context, files: string[]): Promise<number> {
  const results = [];
  for (const file of files) {
    const { manifest, findings } = parseManifest(file, await readText(file));
    results.push({ file, valid: !!manifest, members: manifest?.members.length ?? null, findings });
    for (const f of findings) ctx.err(`${(f.severity === 'error' ? ctx.errPaint.remove : ctx.errPaint.change)(formatFinding(f))}\n`);
    if (manifest) ctx.out(`${file}: valid (cluster ${manifest.cluster}, ${manifest.members.length} members, etcd ${manifest.etcd.version}, ${manifest.etcd.tls ? 'https' : 'http'})\n`);
    else ctx.err(`${file}: invalid (${findings.filter((f) => f.severity === 'error').length} error(s))\n`);
  }
  if (ctx.json) {
    ctx.emit({
      valid: results.every((r) => r.valid),
      files: results.map((r) => ({
        file: r.file,
        valid: r.valid,
        members: r.members,
        errors: r.findings.filter((f) => f.severity === 'error').map(({ where, message }) => ({ where, message })),
        warnings: r.findings.filter((f) => f.severity === 'warning').map(({ where, message }) => ({ where, message })),
      })),
    });
  }
  return results.every((r) => r.valid) ? EXIT.ok : EXIT.invalid;
}
