import type { MemberDefaults } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

export const DEFAULTABLE: readonly (keyof MemberDefaults)[] = ['priority', 'weight', 'peerPort', 'clientPort'];

/**
 * Manifest v1.1 `defaults:`: fills each member's missing priority, weight, peerPort and
 * clientPort from the manifest's `defaults:` block, before the semantic checks read them, so
 * every check (duplicate peer address, port clash) sees the values the records will carry.
 * A member's own value always wins; keys neither sets keep the built-in defaults.
 * `raw` has passed the schema; it is not modified.
 */
export function applyMemberDefaults(raw: Raw): Raw {
  const defaults: MemberDefaults | undefined = raw.defaults;
  if (!defaults || !Array.isArray(raw.members)) return raw;
  const members = raw.members.map((m: Raw) => {
    const filled = { ...m };
    for (const key of DEFAULTABLE) if (filled[key] === undefined && defaults[key] !== undefined) filled[key] = defaults[key];
    return filled;
  });
  return { ...raw, members };
}
