import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SrvctlError } from '../src/errors.js';
import type { Manifest, OwnershipConfig } from '../src/manifest/types.js';
import type { Plan } from '../src/plan/plan.js';
import { markerAuthentic, parseMarker, signMarker, unsignedMarker } from '../src/records/ownership.js';
import { recordKey, type Rec } from '../src/records/record.js';
import type { ApplyResult, Provider, ProviderContext } from './provider.js';

const MIN_SECRET_BYTES = 16;

/**
 * The marker secret of `provider.ownership`, or null when none is configured. Like every
 * secret: from an environment variable or a file that only its owner can read, and never
 * echoed.
 */
export async function loadMarkerSecret(manifest: Manifest, env: ProviderContext['env']): Promise<Buffer | null> {
  const o = manifest.provider.options.ownership as OwnershipConfig | undefined;
  if (!o) return null;
  let text: string;
  let where: string;
  if (o.secretEnv) {
    where = `environment variable ${o.secretEnv} (provider.ownership.secretEnv)`;
    const v = env[o.secretEnv];
    if (!v) throw new SrvctlError('provider', `${where} is not set: it must hold the ownership marker secret`);
    text = v;
  } else {
    const file = resolve(dirname(manifest.file), String(o.secretFile));
    where = `provider.ownership.secretFile ${file}`;
    let st;
    try {
      st = await fs.stat(file);
    } catch (e) {
      throw new SrvctlError('provider', `cannot read ${where}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code}`);
    }
    if (st.mode & 0o077) throw new SrvctlError('provider', `${where} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${file}`);
    text = (await fs.readFile(file, 'utf8')).trim();
  }
  const secret = Buffer.from(text, 'utf8');
  if (secret.length < MIN_SECRET_BYTES) throw new SrvctlError('provider', `${where} holds ${secret.length} bytes: the marker secret needs at least ${MIN_SECRET_BYTES} (for example: openssl rand -hex 32)`);
  return secret;
}

/**
 * Ownership as a wrapper around the provider, as external-dns's TXT registry wraps its
 * providers: on read, a marker of this owner counts only when its mac is the secret's (a
 * marker anyone could write is then hidden, so the record it claims is foreign); other
 * owners' markers, which this secret cannot check, are shown without their mac so that
 * conflicts and shared hosts are still seen. On apply, the markers the plan creates are
 * signed, and every record of the plan is mapped back to the exact form the provider
 * holds. The diff itself never sees a mac.
 */
export function withSignedMarkers(inner: Provider, owner: string, secret: Buffer): Provider {
  /** presented recordKey → the record as the provider holds it */
  const held = new Map<string, Rec>();
  let hidden = 0;

  const present = (records: Rec[]): Rec[] => {
    const out: Rec[] = [];
    for (const r of records) {
      const m = parseMarker(r);
      if (!m) {
        out.push(r);
        continue;
      }
      if (m.owner === owner && !markerAuthentic(r, secret)) {
        hidden++;
        continue;
      }
      const shown = m.mac ? unsignedMarker(r) : r;
      held.set(recordKey(shown), r);
      out.push(shown);
    }
    return out;
  };

  const real = (r: Rec | undefined): Rec | undefined => (r ? (held.get(recordKey(r)) ?? r) : r);

  const read = async (names: readonly string[]): Promise<Rec[]> => present(await inner.read(names));

  /** The plan as the provider will carry it: the markers it creates signed, the ones it deletes in their held form. */
  const asHeld = (plan: Plan): Plan => ({
    ...plan,
    changes: plan.changes.map((c) => {
      const after = c.after && c.marker && parseMarker(c.after)?.owner === owner ? signMarker(c.after, secret) : c.after;
      return { ...c, before: c.marker ? real(c.before) : c.before, after };
    }),
  });

  const apply = async (plan: Plan): Promise<ApplyResult> => {
    const result = await inner.apply(asHeld(plan));
    const notes = hidden ? [`${hidden} marker(s) naming cluster ${owner} without a valid mac were ignored (forged, or written before the marker secret was set)`] : [];
    return { ...result, notes: [...result.notes, ...notes] };
  };

  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'read') return read;
      if (prop === 'apply') return apply;
      // The write limits are judged on what is written: each signed marker is longer than the plan's.
      if (prop === 'limitBreaches') return target.limitBreaches ? (plan: Plan) => target.limitBreaches!(asHeld(plan)) : undefined;
      // Everything else (nameservers, close, preflight, …) is the provider's own.
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
