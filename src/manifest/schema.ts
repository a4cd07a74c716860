import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import schema from './schema.json' with { type: 'json' };
import type { Path } from './positions.js';

export const manifestSchema = schema;

interface Validate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let compiled: Validate | undefined;

/**
 * The validator that scripts/build-validator.mjs generated at build time: start-up then
 * loads neither ajv nor compiles the schema. Compiling here is the fallback for a tree
 * that was built without that step.
 */
const require = createRequire(import.meta.url);

function validator(): Validate {
  if (compiled) return compiled;
  let found: Validate;
  try {
    const mod = require('./validate-manifest.cjs') as { default?: Validate } | Validate;
    found = typeof mod === 'function' ? mod : (mod.default as Validate);
  } catch {
    found = compileAtRuntime();
  }
  compiled = found;
  return found;
}

/** The same schema compiled with ajv now: the fallback, and the yardstick for the generated one. */
export function compileAtRuntime(): Validate {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const formats = require('ajv-formats') as { default?: (a: unknown) => unknown } & ((a: unknown) => unknown);
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  (formats.default ?? formats)(ajv);
  return ajv.compile(schema);
}

/** Whether the build-time validator is the one in use (for tests and --debug). */
export function usingGeneratedValidator(): boolean {
  validator();
  try {
    require.resolve('./validate-manifest.cjs');
    return true;
  } catch {
    return false;
  }
}

export interface SchemaIssue {
  path: Path;
  /** Point at the key rather than the value (unknown keys). */
  atKey: boolean;
  message: string;
}

const PATTERN_HELP: Record<string, string> = {
  cluster: 'must be 1..63 lower-case letters, digits or hyphens, starting and ending with a letter or digit',
  serviceName: 'must be lower-case letters, digits and inner hyphens',
  name: 'must start with a letter or digit and hold only letters, digits, ".", "_" and "-"',
  secretEnv: 'must be the name of an environment variable',
  apiKeyEnv: 'must be the name of an environment variable',
  tokenEnv: 'must be the name of an environment variable',
  token: 'may hold only letters, digits, ".", "_" and "-", must start with a letter or digit and be at most 255 characters long (it is written verbatim into shell, env and YAML configs)',
  zoneId: 'must be a 32-digit hexadecimal Cloudflare zone id',
  url: 'must be an http:// or https:// URL',
  baseUrl: 'must be an http:// or https:// URL',
  advertisePeerUrl: 'must be an http:// or https:// URL',
};

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function typeName(t: unknown): string {
  const names: Record<string, string> = { string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', object: 'a mapping', array: 'a list' };
  return Array.isArray(t) ? t.map(typeName).join(' or ') : names[String(t)] ?? String(t);
}

function describe(e: ErrorObject, known: (path: Path) => string[]): SchemaIssue | null {
  const path = pointerToPath(e.instancePath);
  const last = path[path.length - 1];
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path, atKey: false, message: `missing required key "${String(p.missingProperty)}"` };
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const hint = closest(key, known(path));
      return { path: [...path, key], atKey: true, message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}` };
    }
    case 'type':
      return { path, atKey: false, message: `must be ${typeName(p.type)}` };
    case 'enum':
      return { path, atKey: false, message: `must be one of ${uniq((p.allowedValues as unknown[]).map(String)).map((v) => `"${v}"`).join(', ')}` };
    case 'const':
      return { path, atKey: false, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'pattern':
      return { path, atKey: false, message: PATTERN_HELP[String(last)] ?? `must match ${String(p.pattern)}` };
    case 'minimum':
    case 'maximum':
      return { path, atKey: false, message: `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}` };
    case 'minLength':
      return { path, atKey: false, message: 'must not be empty' };
    case 'maxLength':
      return { path, atKey: false, message: `must be at most ${String(p.limit)} characters long` };
    case 'minItems':
      return { path, atKey: false, message: `must list at least ${String(p.limit)} item(s)` };
    case 'format':
      return { path, atKey: false, message: `must be an ${String(p.format) === 'ipv4' ? 'IPv4' : 'IPv6'} address` };
    case 'oneOf':
      return last === 'tsig'
        ? { path, atKey: false, message: 'give exactly one of secretEnv or secretFile (the secret itself never goes into the manifest)' }
        : { path, atKey: false, message: 'matches none or several of the allowed forms' };
    case 'anyOf':
      return { path, atKey: false, message: 'must be a duration such as "500ms", "2s" or "2m"' };
    case 'if':
      return null; // the failing "then" branch is reported through its own keyword
    default:
      return { path, atKey: false, message: e.message ?? e.keyword };
  }
}

/** Schema findings, one per problem, with paths into the document. */
export function schemaIssues(data: unknown, validate: Validate = validator()): SchemaIssue[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // anyOf/oneOf report each failed alternative too; the wrapper's message says it better.
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (/\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath)) continue;
    const issue = describe(e, knownKeys);
    if (!issue) continue;
    const id = `${issue.path.join('/')}\u0000${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}

/** Keys the schema allows at a path, for "did you mean" hints. */
function knownKeys(path: Path): string[] {
  let node: Record<string, unknown> | undefined = schema as unknown as Record<string, unknown>;
  for (const step of path) {
    if (!node) return [];
    if (typeof step === 'number') node = node.items as Record<string, unknown> | undefined;
    else node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[step];
  }
  return Object.keys((node?.properties as object | undefined) ?? {});
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
