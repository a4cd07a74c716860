import { isIP } from 'node:net';

/** Names inside srvctl are lower case, absolute, and written without the trailing dot. */
export function normalizeName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

/** Zone-file form of a name: absolute, with its trailing dot. */
export function fqdn(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

export function isSubdomain(name: string, zone: string): boolean {
  return zone === '' || name === zone || name.endsWith(`.${zone}`);
}

/** Why a hostname is not usable (length limits of RFC 1035 §2.3.4, LDH labels), or null. */
export function hostnameProblem(name: string): string | null {
  if (isIP(name)) return `"${name}" is an IP address; a hostname belongs here`;
  const n = normalizeName(name);
  if (n.length === 0) return 'empty name';
  if (n.length > 253) return `name is ${n.length} characters long (at most 253)`;
  for (const label of n.split('.')) {
    if (label.length === 0) return `"${name}" has an empty label`;
    if (label.length > 63) return `label "${label.slice(0, 20)}…" is ${label.length} octets long (at most 63)`;
    if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
      return `label "${label}" may hold only letters, digits and inner hyphens`;
    }
  }
  return null;
}
