import { ipVersion } from '../util/ip.js';

/**
 * Names inside srvctl are lower case, absolute, and written without the trailing dot, in
 * master-file presentation form with escapes made canonical: `\.` for a dot inside a label,
 * `\\`, `\"`, `\(` `\)` `\;` `\@` `\$` for the other specials, and `\DDD` for every octet
 * outside 0x21–0x7E (so a JS string never holds a raw byte >= 0x80). Two spellings of one
 * label sequence normalize to one string, so names compare with plain equality.
 */
export function normalizeName(name: string): string {
  let n = name.trim();
  // Fast path: plain LDH-ish names need no label parsing.
  if (!/[\\\x00-\x20\x7f-\uffff"();@$]/.test(n)) {
    n = n.toLowerCase();
    if (n.endsWith('.')) n = n.slice(0, -1);
    return n;
  }
  try {
    return lowerAscii(labelsToName(nameToLabels(n)));
  } catch {
    // Not a valid name (an empty label, a label too long): kept as text for the caller's error.
    n = n.toLowerCase();
    return n.endsWith('.') && !endsWithEscapedDot(n) ? n.slice(0, -1) : n;
  }
}

function lowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
}

function endsWithEscapedDot(s: string): boolean {
  let k = 0;
  for (let i = s.length - 2; i >= 0 && s[i] === '\\'; i--) k++;
  return k % 2 === 1;
}

/** Zone-file form of a name: absolute, with its trailing dot. */
export function fqdn(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

/** Is `name` at or below `zone`? Both normalized; an escaped dot is no label boundary. */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '' || name === zone) return true;
  if (!name.endsWith(`.${zone}`)) return false;
  // "a\.example.test" ends with ".example.test" as text but is one label "a.example" above "test".
  let k = 0;
  for (let i = name.length - zone.length - 2; i >= 0 && name[i] === '\\'; i--) k++;
  return k % 2 === 0;
}

/**
 * The labels of a presentation-form name, as octets (RFC 1035 §5.1 escapes: `\X` is X,
 * `\DDD` is the octet DDD; characters outside ASCII stand for their UTF-8 octets). A final
 * unescaped dot is optional; "" and "." are the root. Throws on an empty label, a label
 * over 63 octets, a name over 255 octets, or a bad escape.
 */
export function nameToLabels(presentation: string): Buffer[] {
  const s = presentation;
  if (s === '' || s === '.') return [];
  const labels: Buffer[] = [];
  let cur: number[] = [];
  let wire = 1;
  const close = () => {
    if (cur.length === 0) throw new Error(`"${presentation}" has an empty label`);
    if (cur.length > 63) throw new Error(`a label of "${presentation}" is ${cur.length} octets long (at most 63)`);
    wire += cur.length + 1;
    labels.push(Buffer.from(cur));
    cur = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e /* . */) {
      close();
      continue;
    }
    if (c === 0x5c /* \ */) {
      if (i + 1 >= s.length) throw new Error(`"${presentation}" ends with a lone backslash`);
      if (/^\d{3}$/.test(s.slice(i + 1, i + 4))) {
        const v = Number(s.slice(i + 1, i + 4));
        if (v > 255) throw new Error(`"${presentation}": \\${s.slice(i + 1, i + 4)} is not an octet`);
        cur.push(v);
        i += 3;
        continue;
      }
      i++;
      pushChar(cur, s, i);
      if (s.charCodeAt(i) >= 0xd800 && s.charCodeAt(i) <= 0xdbff) i++;
      continue;
    }
    pushChar(cur, s, i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
  }
  if (cur.length > 0) close();
  if (wire > 255) throw new Error(`"${presentation}" is ${wire} octets long in wire form (at most 255)`);
  return labels;
}

function pushChar(out: number[], s: string, i: number): void {
  const c = s.charCodeAt(i);
  if (c < 0x80) out.push(c);
  else for (const b of Buffer.from(String.fromCodePoint(s.codePointAt(i)!), 'utf8')) out.push(b);
}

/** Characters that must be escaped with a backslash inside a label (BIND's set). */
const SPECIAL = new Set([0x2e, 0x22, 0x28, 0x29, 0x3b, 0x5c, 0x40, 0x24]); // . " ( ) ; \ @ $

/** One label in presentation form, case kept. */
export function labelText(label: Uint8Array): string {
  let out = '';
  for (const b of label) {
    if (b <= 0x20 || b >= 0x7f) out += `\\${String(b).padStart(3, '0')}`;
    else if (SPECIAL.has(b)) out += `\\${String.fromCharCode(b)}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Presentation form of a label sequence, case kept, without the trailing dot ("" is the root). */
export function labelsToName(labels: readonly Uint8Array[]): string {
  return labels.map(labelText).join('.');
}

/** DNS name equality: ASCII case-insensitive, octet-exact otherwise (RFC 4343). */
export function namesEqual(a: string, b: string): boolean {
  return normalizeName(a) === normalizeName(b);
}

/** Why a hostname is not usable (length limits of RFC 1035 §2.3.4, LDH labels), or null. */
export function hostnameProblem(name: string): string | null {
  if (ipVersion(name)) return `"${name}" is an IP address; a hostname belongs here`;
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
