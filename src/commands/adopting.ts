import { SrvctlError } from '../errors.js';
import { parseSavedPlan, type SavedPlan } from '../plan/saved.js';
import type { ReconcileRequest } from '../reconcile/types.js';
import { readText } from './manifest.js';

/** The lifecycle flags of plan and sync: one-shot adoption, and saved plans. */
export interface AdoptFlags {
  adopt?: boolean;
  adoptFrom?: string;
}

const OWNER_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function adoptFlags(flags: AdoptFlags): Pick<ReconcileRequest, 'adopt' | 'adoptFrom'> {
  if (flags.adoptFrom !== undefined && !OWNER_RE.test(flags.adoptFrom)) {
    throw new SrvctlError('usage', `--adopt-from "${flags.adoptFrom}" is not a cluster id ([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)`);
  }
  return { ...(flags.adopt ? { adopt: true } : {}), ...(flags.adoptFrom ? { adoptFrom: flags.adoptFrom } : {}) };
}

/** sync --plan FILE: the saved plan, which carries its own adopt options. */
export async function loadSavedPlan(file: string, flags: AdoptFlags): Promise<SavedPlan> {
  if (flags.adopt || flags.adoptFrom) throw new SrvctlError('usage', '--plan applies the saved plan with the --adopt options it was made with: drop --adopt/--adopt-from');
  return parseSavedPlan(file, await readText(file));
}
