import type { Command } from 'commander';
import { EXIT, SrvctlError } from '../errors.js';

/** What a shell needs to know about one command: its name and its flags. */
export interface CommandSpec {
  name: string;
  description: string;
  /** long flags (--json) and short ones (-v) */
  flags: string[];
  /** arguments that name files (so the shell completes paths) */
  takesFiles: boolean;
}

export interface ProgramSpec {
  name: string;
  globalFlags: string[];
  commands: CommandSpec[];
}

const ARG_VALUES: Record<string, string[]> = {
  completion: ['bash', 'zsh', 'fish'],
};

/** Reads commands and flags off the commander program, so a command added later completes without edits here. */
export function describeCommands(program: Command): ProgramSpec {
  const flagsOf = (c: Command) => c.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f);
  return {
    name: program.name(),
    globalFlags: [...flagsOf(program), '--help', '--version'],
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description().split(/[.;(]/)[0]!.trim(),
      flags: [...flagsOf(c), '--help'],
      takesFiles: c.registeredArguments.some((a) => /file|path/.test(a.name())),
    })),
  };
}

/** Writes the script for `shell`; a shell srvctl does not know is a usage error. */
export function completion(shell: string, spec: ProgramSpec, write: (text: string) => void): number {
  const make = SCRIPTS[shell];
  if (!make) throw new SrvctlError('usage', `no completion for shell "${shell}": use bash, zsh or fish`);
  write(make(spec));
  return EXIT.ok;
}

const SCRIPTS: Record<string, (s: ProgramSpec) => string> = { bash, zsh, fish };

const fn = (s: ProgramSpec) => `_${s.name.replace(/[^A-Za-z0-9_]/g, '_')}`;

function bash(s: ProgramSpec): string {
  const cases = s.commands
    .map((c) => {
      const values = ARG_VALUES[c.name];
      const words = values ? `${c.flags.join(' ')} ${values.join(' ')}` : c.flags.join(' ');
      return `    ${c.name}) flags="${words}"; files=${c.takesFiles ? 1 : 0} ;;`;
    })
    .join('\n');
  return `# bash completion for ${s.name}: source <(${s.name} completion bash), or save it as
# /etc/bash_completion.d/${s.name} (or ~/.local/share/bash-completion/completions/${s.name}).
${fn(s)}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" i flags files=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in -*) ;; *) cmd=\${COMP_WORDS[i]}; break ;; esac
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${s.commands.map((c) => c.name).join(' ')} ${s.globalFlags.join(' ')}" -- "$cur"))
    return
  fi
  case $cmd in
${cases}
    *) flags="" ;;
  esac
  flags="$flags ${s.globalFlags.filter((f) => f !== '--version' && f !== '-V').join(' ')}"
  if [[ $cur == -* || $files == 0 ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F ${fn(s)} ${s.name}
`;
}

/** zsh's single quotes: a quote is written '\\''. */
const zq = (t: string) => `'${t.replace(/'/g, "'\\''")}'`;

function zsh(s: ProgramSpec): string {
  const list = s.commands.map((c) => `    ${zq(`${c.name}:${c.description.replace(/:/g, '\\:')}`)}`).join('\n');
  const cases = s.commands
    .map((c) => {
      const values = ARG_VALUES[c.name];
      const rest = values ? `'*:shell:(${values.join(' ')})'` : c.takesFiles ? "'*:file:_files'" : '';
      return `    ${c.name}) _arguments ${c.flags.map((f) => zq(f)).join(' ')} ${rest} ;;`;
    })
    .join('\n');
  return `#compdef ${s.name}
# zsh completion for ${s.name}: save as _${s.name} in a directory of $fpath, or
# source <(${s.name} completion zsh) after compinit.
${fn(s)}() {
  local -a commands
  commands=(
${list}
  )
  local i cmd=""
  for ((i = 2; i < CURRENT; i++)); do
    [[ $words[i] != -* ]] && { cmd=$words[i]; break; }
  done
  if [[ -z $cmd ]]; then
    _describe -t commands '${s.name} command' commands
    return
  fi
  case $cmd in
${cases}
  esac
}
if [[ $funcstack[1] == ${fn(s)} ]]; then ${fn(s)} "$@"; else compdef ${fn(s)} ${s.name}; fi
`;
}

/** fish's single quotes: \\ and ' are escaped with a backslash. */
const fq = (t: string) => `'${t.replace(/[\\']/g, (m) => `\\${m}`)}'`;

function fish(s: ProgramSpec): string {
  const lines = [`# fish completion for ${s.name}: ${s.name} completion fish > ~/.config/fish/completions/${s.name}.fish`, `complete -c ${s.name} -f`];
  const names = s.commands.map((c) => c.name).join(' ');
  for (const c of s.commands) lines.push(`complete -c ${s.name} -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d ${fq(c.description)}`);
  for (const f of s.globalFlags) lines.push(`complete -c ${s.name} ${fishFlag(f)}`);
  for (const c of s.commands) {
    const when = `-n "__fish_seen_subcommand_from ${c.name}"`;
    for (const f of c.flags) lines.push(`complete -c ${s.name} ${when} ${fishFlag(f)}`);
    const values = ARG_VALUES[c.name];
    if (values) lines.push(`complete -c ${s.name} ${when} -a ${fq(values.join(' '))}`);
    else if (c.takesFiles) lines.push(`complete -c ${s.name} ${when} -F`);
  }
  return `${lines.join('\n')}\n`;
}

const fishFlag = (f: string) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);
