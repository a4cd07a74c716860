/**
 * `node --import <this> …`: appends every module URL the program loads to $TRACE_IMPORTS,
 * so a test can prove that a heavy dependency is loaded only where it is used.
 */
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.TRACE_IMPORTS) appendFileSync(process.env.TRACE_IMPORTS, r.url + '\\n');
  return r;
}`)}`,
);
