/**
 * A value as it may reach a terminal or a log line: C0 and C1 control characters, DEL and
 * the Unicode line/paragraph separators and bidirectional overrides are shown as \xHH or
 * \uHHHH escapes, so a file name or a manifest value cannot move the cursor, recolour the
 * screen, forge extra output lines or reorder what is shown. Everything else is unchanged.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(value: unknown): string {
  return String(value).replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
