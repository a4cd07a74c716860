/**
 * A setting's value: a boolean, or text made of literal strings and slots. A slot is a
 * per-machine value that the consumer fills in (a shared document's address or name):
 * each format spells it with its consumer's own mechanism, or refuses it. Keeping slots
 * apart from literal text is what lets a literal "$private_ipv4" or "{HOSTNAME}" in a
 * manifest value stay literal.
 */
export type Slot = { slot: 'privateIpv4' | 'name' };
export type Text = readonly (string | Slot)[];
export type Value = boolean | Text;

export interface Setting {
  /** etcd flag name without the dashes */
  key: string;
  value: Value;
}

export type Settings = Setting[];

export const lit = (s: string): Text => [s];

export function isText(v: Value): v is Text {
  return typeof v !== 'boolean';
}

export function hasSlot(v: Value): boolean {
  return isText(v) && v.some((p) => typeof p !== 'string');
}

/** The literal text of a value without slots (callers check hasSlot first). */
export function plain(v: Text): string {
  return v.map((p) => (typeof p === 'string' ? p : '')).join('');
}

/** Joins texts (for lists such as initial-cluster), keeping slots. */
export function join(parts: readonly Text[], sep: string): Text {
  const out: (string | Slot)[] = [];
  parts.forEach((t, i) => {
    if (i) out.push(sep);
    out.push(...t);
  });
  return out;
}
