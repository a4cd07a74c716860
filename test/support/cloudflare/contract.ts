import { Ajv, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../run.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as (a: Ajv) => Ajv;

/** Drops `discriminator` (ajv cannot use it with anyOf); in requests, readOnly properties become forbidden. */
function transform(node: Json, forRequest: boolean): Json {
  if (Array.isArray(node)) return node.map((n) => transform(n, forRequest));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'discriminator') continue;
    if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v as Json).map(([p, s]: [string, Json]) => [p, forRequest && s?.readOnly ? false : transform(s, forRequest)]));
      continue;
    }
    out[k] = transform(v, forRequest);
  }
  return out;
}

/** The documented disagreements between the published subset and the live API (fixtures/cloudflare/README.md). */
function patch(spec: Json): Json {
  const s = spec.components.schemas;
  const rec = s['dns-records_dns-record-response'];
  rec.required = rec.required.filter((r: string) => r !== 'data');
  s['dns-records_comment'] = { ...s['dns-records_comment'], nullable: true };
  // Error responses: the API sends "result": null where the subset declares something else.
  const nullResult = (schema: Json) => {
    if (!schema || typeof schema !== 'object') return;
    if (schema.$ref) return nullResult(s[schema.$ref.split('/').pop()]);
    if (schema.properties?.result) schema.properties.result = { type: 'null' };
    for (const part of [...(schema.allOf ?? []), ...(schema.anyOf ?? [])]) nullResult(part);
  };
  for (const ops of Object.values(spec.paths as Record<string, Json>)) {
    for (const op of Object.values(ops as Record<string, Json>)) nullResult(op.responses?.['4XX']?.content?.['application/json']?.schema);
  }
  return spec;
}

export interface Operation {
  method: string;
  template: string;
  op: Json;
}

/**
 * Validates requests and responses against Cloudflare's official OpenAPI subset, so the
 * fake server cannot drift from the real API unnoticed.
 */
export class Contract {
  private static instance?: Contract;

  /** One compiled contract for every fake: compiling the schemas takes seconds. */
  static shared(): Contract {
    Contract.instance ??= new Contract().warm();
    return Contract.instance;
  }

  private readonly spec: Json;
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(path = join(FIXTURES, 'cloudflare/dns-records.openapi.json')) {
    this.spec = patch(JSON.parse(readFileSync(path, 'utf8')));
    // The token-verify operation srvctl's preflight calls; its components live in the subset.
    const verify = JSON.parse(readFileSync(join(FIXTURES, 'cloudflare/tokens-verify.openapi.json'), 'utf8'));
    Object.assign(this.spec.paths, verify.paths);
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, validateSchema: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'cf-response', components: transform(this.spec.components, false) });
    this.ajv.addSchema({ $id: 'cf-request', components: transform(this.spec.components, true) });
  }

  /** Compiles every request and response schema now, so no request waits for ajv. */
  warm(): this {
    for (const ops of Object.values(this.spec.paths as Record<string, Json>)) {
      for (const op of Object.values(ops as Record<string, Json>)) {
        const rb = op.requestBody?.content?.['application/json']?.schema;
        if (rb) this.validator('cf-request', rb);
        for (const r of Object.values((op.responses ?? {}) as Record<string, Json>)) {
          const schema = r.content?.['application/json']?.schema;
          if (schema) this.validator('cf-response', schema);
        }
      }
    }
    return this;
  }

  /** The operation a method and path belong to; literal segments win over parameters. */
  match(method: string, path: string): (Operation & { params: Record<string, string> }) | null {
    const parts = path.split('/').filter(Boolean);
    let best: (Operation & { params: Record<string, string>; literals: number }) | null = null;
    for (const [template, ops] of Object.entries(this.spec.paths as Record<string, Json>)) {
      const op = ops[method.toLowerCase()];
      if (!op) continue;
      const tparts = template.split('/').filter(Boolean);
      if (tparts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      let ok = true;
      tparts.forEach((t, i) => {
        if (t.startsWith('{')) params[t.slice(1, -1)] = decodeURIComponent(parts[i]!);
        else if (t === parts[i]) literals++;
        else ok = false;
      });
      if (ok && (!best || literals > best.literals)) best = { method, template, op, params, literals };
    }
    return best;
  }

  private validator(kind: 'cf-request' | 'cf-response', schema: Json): ValidateFunction {
    const key = `${kind}:${JSON.stringify(schema)}`;
    let v = this.cache.get(key);
    if (!v) {
      const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${kind}#/components/`));
      v = this.ajv.compile(transform(rewritten, kind === 'cf-request'));
      this.cache.set(key, v);
    }
    return v;
  }

  private errors(v: ValidateFunction, data: unknown, what: string): string[] {
    if (v(data)) return [];
    return (v.errors ?? []).slice(0, 8).map((e) => `${what}${e.instancePath || '/'} ${e.message} ${e.params ? JSON.stringify(e.params) : ''}`);
  }

  private parameters(op: Json): Json[] {
    return (op.parameters ?? []).map((p: Json) => (p.$ref ? this.spec.components.parameters[p.$ref.split('/').pop()] : p));
  }

  validateRequest(o: Operation, query: URLSearchParams, body: unknown): string[] {
    const problems: string[] = [];
    const allowed = new Map(this.parameters(o.op).filter((p) => p.in === 'query').map((p) => [p.name as string, p.schema]));
    for (const [k, v] of query) {
      if (!allowed.has(k)) {
        problems.push(`query parameter "${k}" is not in the API`);
        continue;
      }
      const schema = allowed.get(k);
      const value = schema?.type === 'number' || schema?.$ref?.match(/page|per_page/) ? Number(v) : schema?.type === 'boolean' ? v === 'true' : v;
      problems.push(...this.errors(this.validator('cf-request', schema ?? {}), value, `query ${k}`));
    }
    const rb = o.op.requestBody?.content?.['application/json']?.schema;
    if (rb) {
      if (body === undefined) problems.push('request body missing');
      else problems.push(...this.errors(this.validator('cf-request', rb), body, 'request body'));
    } else if (body !== undefined && o.method !== 'DELETE') {
      problems.push('request body where the API takes none');
    }
    return problems;
  }

  validateResponse(o: Operation, status: number, body: unknown): string[] {
    const key = status >= 200 && status < 300 ? String(status) : '4XX';
    const schema = o.op.responses?.[key]?.content?.['application/json']?.schema;
    if (!schema) return status >= 500 ? [] : [`no response schema for ${o.method} ${o.template} ${status}`];
    return this.errors(this.validator('cf-response', schema), body, `response ${status}`);
  }
}
