/**
 * Quoting for each consumer's syntax. Every function takes any string and returns a
 * spelling that its consumer reads back as exactly that string; callers refuse
 * beforehand what a consumer cannot carry at all (NUL, invalid UTF-16).
 */

/** POSIX shell word: single quotes, where nothing is special; ' itself as '\''. */
export function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * An EnvironmentFile value that systemd (src/basic/env-file.c, parse_env_file_internal)
 * and a POSIX shell (`set -a; . file`) both read as `s`: a plain word bare, anything else
 * in double quotes with exactly the four characters both treat as escapable (" \ ` $)
 * escaped. Inside double quotes both keep every other byte as it is, newlines included,
 * and neither expands anything escaped.
 * Single quotes would not do: systemd does not join 'a'\''b' the way a shell does.
 */
export function envValue(s: string): string {
  // Words of this alphabet mean the same bare to both readers (no quotes, escapes,
  // whitespace, expansions, tilde or comment); everything else is quoted.
  if (/^[A-Za-z0-9+,./:=@_-]+$/.test(s) && !s.startsWith('=')) return s;
  return `"${s.replace(/["\\`$]/g, '\\$&')}"`;
}

function hex(cp: number, width: number): string {
  return cp.toString(16).toUpperCase().padStart(width, '0');
}

/**
 * A YAML double-quoted scalar holding `s`, in ASCII: always a string, whatever `s` looks
 * like (`yes`, `1e3`, `0x1F`, `@foo`, `,a`, `~`). `escapeDollar` writes $ as \x24, for
 * consumers that substitute `$name` in the raw text before parsing (coreos-cloudinit).
 */
export function yamlString(s: string, escapeDollar = false): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '$' && escapeDollar) out += '\\x24';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp < 0x100) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/**
 * One argument of a systemd ExecStart= line (systemd.service(5), "Command lines"): double
 * quotes with C escapes, "$$" for a literal $ (else systemd expands variables) and "%%"
 * for a literal % (else it expands specifiers such as %m).
 */
export function systemdArg(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '$') out += '$$';
    else if (ch === '%') out += '%%';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Text for a comment line: anything outside a small safe alphabet (letters, digits, . _ + @ / -) becomes "_", so a file
 * or member name cannot end the comment (newline), start shell syntax, or carry escapes.
 */
export function commentSafe(s: string, max = 80): string {
  const safe = s.replace(/[^A-Za-z0-9._+@/-]/g, '_');
  return safe.length > max ? `${safe.slice(0, max)}...` : safe;
}

/** Why `s` cannot be carried by any format (argv and environment strings are C strings). */
export function uncarriable(s: string): string | null {
  if (s.includes('\u0000')) return 'a NUL character cannot be passed to etcd (argv and environment are C strings)';
  // eslint-disable-next-line no-control-regex
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) return 'an unpaired UTF-16 surrogate has no UTF-8 spelling';
  return null;
}
