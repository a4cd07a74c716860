import { LineCounter, parseDocument, visit } from 'yaml';
import { SrvctlError } from '../errors.js';
import { applyMemberDefaults } from './defaults.js';
import { PlainSourceMap, YamlSourceMap, type SourceMap } from './positions.js';
import { readPlainYaml } from './plain-yaml.js';
import { schemaIssues } from './schema.js';
import { interpret } from './semantics.js';
import { interpretRenderKeys } from './render-keys.js';
import type { Finding, Manifest } from './types.js';

export interface ManifestResult {
  manifest?: Manifest;
  findings: Finding[];
}

/** Parses, schema-checks and interprets manifest text. Pure: the caller reads the file. */
export function parseManifest(file: string, text: string): ManifestResult {
  // Plain YAML (what manifests are) needs none of the yaml package's run; anything else, and
  // every syntax error, goes to it (plain-yaml.ts).
  const plain = readPlainYaml(text);
  if (plain) return checkManifest(file, plain.data, new PlainSourceMap(file, plain.root, text), []);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const src = new YamlSourceMap(file, doc, lineCounter);
  const findings: Finding[] = [];
  for (const e of doc.errors) {
    findings.push({ severity: 'error', where: src.at(e.pos[0]), message: firstLine(e.message) });
  }
  if (findings.length > 0) return { findings };
  for (const w of doc.warnings) {
    findings.push({ severity: 'warning', where: src.at(w.pos[0]), message: firstLine(w.message) });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    // Unresolved aliases and alias bombs surface only here, without a position: find the alias.
    let at = 0;
    visit(doc, {
      Alias(_, node) {
        if (node.range) at = node.range[0];
        return visit.BREAK;
      },
    });
    return { findings: [...findings, { severity: 'error', where: src.at(at), message: firstLine((e as Error).message) }] };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { findings: [...findings, { severity: 'error', where: src.at(0), message: 'the manifest must be a YAML mapping (version, cluster, domain, members, ...)' }] };
  }
  return checkManifest(file, data, src, findings);
}

/** Schema, semantics and render keys of the parsed mapping; `findings` so far (YAML warnings). */
function checkManifest(file: string, data: object, src: SourceMap, findings: Finding[]): ManifestResult {
  for (const issue of schemaIssues(data)) {
    const label = issue.atKey ? issue.path.slice(0, -1) : issue.path;
    const prefix = label.length ? `${label.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('')}: ` : '';
    findings.push({ severity: 'error', where: src.where(issue.path, issue.atKey), message: prefix + issue.message });
  }
  if (findings.some((f) => f.severity === 'error')) return { findings: sortFindings(findings) };
  const { manifest, findings: semantic } = interpret(file, applyMemberDefaults(data), src);
  const rendering = interpretRenderKeys(data, manifest, src);
  const all = sortFindings([...findings, ...semantic, ...rendering]);
  return all.some((f) => f.severity === 'error') ? { findings: all } : { manifest, findings: all };
}

/** The manifest, or a SrvctlError('manifest') that lists every error. */
export function requireManifest(file: string, text: string): { manifest: Manifest; warnings: Finding[] } {
  const result = parseManifest(file, text);
  if (!result.manifest) {
    const errors = result.findings.filter((f) => f.severity === 'error');
    throw new SrvctlError('manifest', `${file}: ${errors.length} error(s) in the manifest`, result.findings.map(formatFinding));
  }
  return { manifest: result.manifest, warnings: result.findings };
}

export function formatFinding(f: Finding): string {
  return `${f.where}: ${f.severity}: ${f.message}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function sortFindings(findings: Finding[]): Finding[] {
  const pos = (w: string) => w.match(/:(\d+):(\d+)$/)?.slice(1).map(Number) ?? [0, 0];
  return [...findings].sort((a, b) => {
    const [la, ca] = pos(a.where);
    const [lb, cb] = pos(b.where);
    return la! - lb! || ca! - cb!;
  });
}
