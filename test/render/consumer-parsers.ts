/**
 * Consumers' own readers, ported from their source so the tests read renders the way the
 * consumer does (no such reader ships as a command on this machine).
 */

/**
 * systemd's EnvironmentFile= reader: a port of parse_env_file_internal in
 * systemd/systemd src/basic/env-file.c (states PRE_KEY ... COMMENT_ESCAPE; WHITESPACE is
 * " \t\n\r", NEWLINE "\n\r", COMMENTS "#;", SHELL_NEED_ESCAPE "\"\\`$").
 */
export function systemdEnvFile(text: string): Map<string, string> {
  const WHITESPACE = ' \t\n\r';
  const NEWLINE = '\n\r';
  const COMMENTS = '#;';
  const NEED_ESCAPE = '"\\`$';
  const out = new Map<string, string>();
  type State = 'PRE_KEY' | 'KEY' | 'PRE_VALUE' | 'VALUE' | 'VALUE_ESCAPE' | 'SQ' | 'DQ' | 'DQ_ESCAPE' | 'COMMENT' | 'COMMENT_ESCAPE';
  let state: State = 'PRE_KEY';
  let key = '';
  let value = '';
  let lastKeyWs = -1;
  let lastValueWs = -1;
  const push = () => {
    const k = lastKeyWs >= 0 ? key.slice(0, lastKeyWs) : key;
    out.set(k, value);
    key = '';
    value = '';
  };
  for (const c of text) {
    switch (state) {
      case 'PRE_KEY':
        if (COMMENTS.includes(c)) state = 'COMMENT';
        else if (!WHITESPACE.includes(c)) {
          state = 'KEY';
          lastKeyWs = -1;
          key += c;
        }
        break;
      case 'KEY':
        if (NEWLINE.includes(c)) {
          state = 'PRE_KEY';
          key = '';
        } else if (c === '=') {
          state = 'PRE_VALUE';
          lastValueWs = -1;
        } else {
          if (!WHITESPACE.includes(c)) lastKeyWs = -1;
          else if (lastKeyWs === -1) lastKeyWs = key.length;
          key += c;
        }
        break;
      case 'PRE_VALUE':
        if (NEWLINE.includes(c)) {
          state = 'PRE_KEY';
          push();
        } else if (c === "'") state = 'SQ';
        else if (c === '"') state = 'DQ';
        else if (c === '\\') state = 'VALUE_ESCAPE';
        else if (!WHITESPACE.includes(c)) {
          state = 'VALUE';
          value += c;
        }
        break;
      case 'VALUE':
        if (NEWLINE.includes(c)) {
          state = 'PRE_KEY';
          if (lastValueWs >= 0) value = value.slice(0, lastValueWs);
          push();
        } else if (c === '\\') {
          state = 'VALUE_ESCAPE';
          lastValueWs = -1;
        } else {
          if (!WHITESPACE.includes(c)) lastValueWs = -1;
          else if (lastValueWs === -1) lastValueWs = value.length;
          value += c;
        }
        break;
      case 'VALUE_ESCAPE':
        state = 'VALUE';
        if (!NEWLINE.includes(c)) value += c;
        break;
      case 'SQ':
        if (c === "'") state = 'PRE_VALUE';
        else value += c;
        break;
      case 'DQ':
        if (c === '"') state = 'PRE_VALUE';
        else if (c === '\\') state = 'DQ_ESCAPE';
        else value += c;
        break;
      case 'DQ_ESCAPE':
        state = 'DQ';
        if (NEED_ESCAPE.includes(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        break;
      case 'COMMENT':
        if (c === '\\') state = 'COMMENT_ESCAPE';
        else if (NEWLINE.includes(c)) state = 'PRE_KEY';
        break;
      case 'COMMENT_ESCAPE':
        state = NEWLINE.includes(c) ? 'PRE_KEY' : 'COMMENT';
        break;
    }
  }
  if (['PRE_VALUE', 'VALUE', 'VALUE_ESCAPE', 'SQ', 'DQ', 'DQ_ESCAPE'].includes(state)) {
    if (state === 'VALUE' && lastValueWs >= 0) value = value.slice(0, lastValueWs);
    push();
  }
  return out;
}

/**
 * coreos-cloudinit's substitution over the raw user data before YAML parsing: a port of
 * Environment.Apply in coreos/coreos-cloudinit initialize/env.go ("$key" -> value unless
 * preceded by "\", "\$key" -> "$key").
 */
export function cloudinitApply(data: string, subs: Record<string, string>): string {
  for (const [key, val] of Object.entries(subs)) {
    const match = key.replace(/\$/g, '\\$');
    data = data.replace(new RegExp(`([^\\\\]|^)${match}`, 'gm'), (_, pre: string) => pre + val);
    data = data.replace(new RegExp(`\\\\${match}`, 'g'), key);
  }
  return data;
}

/**
 * systemd's ExecStart= word splitting for the lines srvctl writes (systemd.service(5)
 * "Command lines"): specifiers (%%) and variables ($$) first, then double-quoted words
 * with C escapes; continuation lines joined. Throws on anything it does not expect,
 * so an unescaped $ or % fails the test rather than passing silently.
 */
export function systemdExecStart(line: string): string[] {
  const joined = line.replace(/\\\n/g, ' ');
  const words: string[] = [];
  let i = 0;
  while (i < joined.length) {
    const c = joined[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    let word = '';
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= joined.length) throw new Error('unterminated quote');
        const d = joined[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '%') {
          if (joined[i + 1] !== '%') throw new Error(`specifier %${joined[i + 1]} would be expanded`);
          word += '%';
          i += 2;
        } else if (d === '$') {
          if (joined[i + 1] !== '$') throw new Error(`variable $${joined[i + 1]} would be expanded`);
          word += '$';
          i += 2;
        } else if (d === '\\') {
          const e = joined[i + 1]!;
          const simple: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', s: ' ' };
          if (e in simple) {
            word += simple[e];
            i += 2;
          } else if (e === 'x') {
            word += String.fromCharCode(parseInt(joined.slice(i + 2, i + 4), 16));
            i += 4;
          } else throw new Error(`unexpected escape \\${e}`);
        } else {
          word += d;
          i++;
        }
      }
    } else {
      while (i < joined.length && joined[i] !== ' ') word += joined[i++];
    }
    words.push(word);
  }
  return words;
}
