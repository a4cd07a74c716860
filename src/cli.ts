#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { guardPipes } from './commands/pipes.js';
import { EXIT, exitCodeFor, isSrvctlError } from './errors.js';
import type { Context, GlobalOptions } from './commands/context.js';

// A reader that goes away (`srvctl plan … | head -1`) must not turn into a stack trace.
guardPipes();

/**
 * The package's own package.json: dist/bundle/cli.js (and dist/src/cli.js, tsc's output)
 * sits two levels below it in the
 * checkout, in the npm tarball and in the container image alike, and npm always ships it.
 */
const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/**
 * argv → one command → exit code. Command modules load lazily, so `srvctl --version`
 * and `srvctl validate` never pay for DNS code or provider SDKs.
 */
const program = new Command();
let exitCode: number = EXIT.ok;
let context: Context | undefined;

async function ctxFor(cmd: Command): Promise<Context> {
  const { processContext } = await import('./commands/context.js');
  context = processContext(cmd.optsWithGlobals<GlobalOptions>());
  return context;
}

program
  .name('srvctl')
  .description('Keeps the DNS SRV records of etcd clusters right: reconcile, verify on every authoritative nameserver, render bootstrap config.')
  .version(version, '-V, --version')
  .option('--json', 'one JSON document on stdout; human text goes to stderr')
  .option('-v, --verbose', 'more detail (ownership markers, provider steps)')
  .option('--debug', 'stack traces for unexpected errors')
  .showHelpAfterError('(run srvctl --help for usage)')
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str) });

const formatOption = () => new Option('-f, --format <format>', 'cloud-config (default) | env | etcd-yaml | flags | clc | ignition | static');

program
  .command('validate')
  .description('check manifests offline: schema, semantics, etcd-version lint (exit 0 ok, 65 invalid)')
  .argument('<file...>', 'cluster manifests')
  .action(async (files: string[], _o, cmd: Command) => {
    const { validate } = await import('./commands/validate.js');
    exitCode = await validate(await ctxFor(cmd), files);
  });

program
  .command('schema')
  .description("print srvctl's JSON Schema for cluster.yaml")
  .action(async () => {
    const { manifestSchema } = await import('./manifest/schema.js');
    process.stdout.write(`${JSON.stringify(manifestSchema, null, 2)}\n`);
  });

program
  .command('plan')
  .description('read the provider, plan, predict on the planned records, preflight; writes nothing (exit 0 in sync, 2 changes pending, 1 refused or failed)')
  .argument('<file>', 'cluster manifest')
  .option('--adopt', 'plan to take ownership of foreign records that are exactly what the manifest wants')
  .option('--adopt-from <owner>', "plan to take over the records of another srvctl cluster id (a renamed cluster)")
  .option('--out <plan.json>', 'save the plan with digests of what it was made from, for sync --plan')
  .option('--etcd-endpoints <urls>', 'client URLs of the running cluster: read its member list and apply the live guards')
  .option('--cacert <file>', 'CA bundle for https etcd endpoints')
  .option('--cert <file>', 'client certificate for etcd')
  .option('--key <file>', 'client key for etcd')
  .option('--insecure-skip-tls-verify', 'accept self-signed etcd certificates (auto-tls clusters)')
  .action(async (file: string, opts, cmd: Command) => {
    const { plan } = await import('./commands/plan.js');
    exitCode = await plan(await ctxFor(cmd), file, opts);
  });

program
  .command('sync')
  .description('plan, apply, wait until every authoritative nameserver answers, then emit bootstrap config (exit 0 ok, 1 failure)')
  .argument('<file>', 'cluster manifest')
  .option('-y, --yes', 'apply without asking')
  .option('--dry-run', 'stop after the plan')
  .option('--no-verify', 'skip the DNS queries after the write (for hosts that cannot reach the nameservers); the prediction on the planned records still runs')
  .option('--force', 'write and emit config even when etcd is predicted to reject the records (never past a failed preflight or a guard)')
  .option('--etcd-endpoints <urls>', 'client URLs of the running cluster: live guards, and members marked existing are added (member add) before their records')
  .option('--cacert <file>', 'CA bundle for https etcd endpoints')
  .option('--cert <file>', 'client certificate for etcd')
  .option('--key <file>', 'client key for etcd')
  .option('--insecure-skip-tls-verify', 'accept self-signed etcd certificates (auto-tls clusters)')
  .addOption(formatOption())
  .option('--member <name>', 'emit the config of one member only')
  .option('--out <dir>', 'write one file per member into DIR instead of printing')
  .option('--adopt', 'take ownership of foreign records that are exactly what the manifest wants (one run, not a setting)')
  .option('--adopt-from <owner>', "take over the records of another srvctl cluster id (a renamed cluster)")
  .option('--plan <plan.json>', 'apply exactly this saved plan (plan --out), or refuse when the provider or manifest changed')
  .option('--move-members', 'with etcd endpoints: run member update for a running member whose host or peer port changes, then its records (else refused)')
  .option('--remove-members', 'with etcd endpoints: run member remove for running members that left the manifest, then delete their records; never below quorum (else refused)')
  .option('--replace-members', 'with etcd endpoints: replace a member that does not answer by its namesake marked state: existing at a new peer URL (member remove, member add, records; else refused)')
  .action(async (file: string, opts, cmd: Command) => {
    const { sync } = await import('./commands/sync.js');
    exitCode = await sync(await ctxFor(cmd), file, opts);
  });

program
  .command('destroy')
  .description('delete every record the cluster owns (and its ownership markers), nothing else; the plan is shown first (exit 0 ok, 1 refused or failed)')
  .argument('<file>', 'cluster manifest')
  .option('-y, --yes', 'delete without asking')
  .option('--dry-run', 'stop after the plan')
  .option('--no-verify', 'skip asking the nameservers whether the records are gone')
  .option('--force', 'delete even while members still run (with --etcd-endpoints)')
  .option('--etcd-endpoints <urls>', 'client URLs of the cluster: refuse while its members still run')
  .option('--cacert <file>', 'CA bundle for https etcd endpoints')
  .option('--cert <file>', 'client certificate for etcd')
  .option('--key <file>', 'client key for etcd')
  .option('--insecure-skip-tls-verify', 'accept self-signed etcd certificates (auto-tls clusters)')
  .action(async (file: string, opts, cmd: Command) => {
    const { destroy } = await import('./commands/destroy.js');
    exitCode = await destroy(await ctxFor(cmd), file, opts);
  });

const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('check')
  .description('preflight from DNS alone: read every authoritative nameserver and predict, member by member, what etcd will do (exit 0 sound, 1 errors, 2 warnings only)')
  .argument('<domain>', 'the discovery-srv domain')
  .option('--ns <host[:port]>', 'ask this nameserver (repeatable); default: the zone\'s NS set', collect)
  .option('--manifest <file>', "members, advertise URLs, version, TLS and serviceName from a manifest")
  .option('--etcd-version <version>', '2.3 | 3.4 | 3.5 | 3.6 (default: the manifest\'s, else 3.5)')
  .option('--service-name <name>', '--discovery-srv-name suffix')
  .option('--timeout <duration>', 'per query try (default: the manifest\'s, else 2s)')
  .option('--retries <n>', 'retries per query (default: the manifest\'s, else 2)')
  .action(async (domain: string, opts, cmd: Command) => {
    const { check } = await import('./commands/check.js');
    exitCode = await check(await ctxFor(cmd), domain, opts);
  });

program
  .command('drift')
  .description('for many manifests: provider vs manifest, every nameserver vs manifest, and the live member list vs DNS (exit 0 none, 2 drift, 1 failure)')
  .argument('<path...>', 'manifests or directories holding them (searched recursively)')
  .option('--etcd', "also compare the running cluster's member list, found through _etcd-client SRV records")
  .option('--etcd-endpoints <urls>', 'client URLs of the running cluster, comma-separated (one manifest)')
  .option('--cacert <file>', 'CA bundle for https etcd endpoints')
  .option('--cert <file>', 'client certificate for etcd')
  .option('--key <file>', 'client key for etcd')
  .option('--insecure-skip-tls-verify', 'accept self-signed etcd certificates (auto-tls clusters)')
  .option('--prom-file <path>', 'write Prometheus textfile-collector metrics here (atomically)')
  .option('--concurrency <n>', 'clusters checked at once', '4')
  .action(async (paths: string[], opts, cmd: Command) => {
    const { drift } = await import('./commands/drift.js');
    exitCode = await drift(await ctxFor(cmd), paths, opts);
  });

program
  .command('render')
  .description('emit bootstrap config without touching DNS (exit 0, 65 invalid manifest)')
  .argument('<file>', 'cluster manifest')
  .addOption(formatOption())
  .option('--member <name>', 'one member only')
  .option('--shared', 'one document for every member, where the consumer fills in the address (cloud-config: $private_ipv4; clc: {PRIVATE_IPV4})')
  .option('--out <dir>', 'write one file per member into DIR')
  .action(async (file: string, opts, cmd: Command) => {
    const { render } = await import('./commands/render.js');
    exitCode = await render(await ctxFor(cmd), file, opts);
  });

program
  .command('serve')
  .description("run srvctl's authoritative DNS server for a manifest's zone file, or a zone file (exit 0 on SIGINT/SIGTERM, 1 if it cannot bind)")
  .argument('<file>', 'cluster manifest (.yaml) or zone file')
  .option('--listen <addr:port>', 'where to listen (loopback unless told otherwise)', '127.0.0.1:5353')
  .option('--origin <zone>', "zone apex of a zone file (default: its SOA record's owner, as its $ORIGIN says)")
  .option('--workers <n>', 'answer from this many processes sharing the port (multi-core)')
  .action(async (file: string, opts, cmd: Command) => {
    const { serve } = await import('./commands/serve.js');
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    exitCode = await serve(await ctxFor(cmd), file, opts, stop.signal);
  });

program
  .command('init')
  .description('write a commented starter manifest that passes validate; never overwrites (exit 0 written, 64 the file exists)')
  .option('--domain <domain>', 'the discovery-srv domain', 'etcd.example.com')
  .option('--members <n>', 'how many members', '3')
  .option('--provider <type>', 'zonefile | rfc2136 | powerdns | cloudflare', 'zonefile')
  .option('--cluster <name>', "owner id of the records (default: the domain's first label)")
  .option('--out <file>', 'where to write it; - prints it', 'cluster.yaml')
  .action(async (opts, cmd: Command) => {
    const { init } = await import('./commands/init.js');
    exitCode = await init(await ctxFor(cmd), opts);
  });

program
  .command('completion')
  .description('print a shell completion script: bash, zsh or fish (exit 0, 64 another shell)')
  .argument('<shell>', 'bash | zsh | fish')
  .action(async (shell: string) => {
    const { completion, describeCommands } = await import('./commands/completion.js');
    // Built from the program itself, so commands and options added later complete too.
    exitCode = completion(shell, describeCommands(program), (text) => process.stdout.write(text));
  });

function reportError(e: unknown): number {
  const json = process.argv.includes('--json');
  if (e instanceof CommanderError) {
    // Help asked for is a success; help shown because no command was given (exitCode 1) is a
    // usage error: a script that lost its arguments must notice.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
      if (e.exitCode === 0) return EXIT.ok;
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: 'no command given' } }, null, 2)}\n`);
      return EXIT.usage;
    }
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: e.message.replace(/^error: /, '') } }, null, 2)}\n`);
    return EXIT.usage;
  }
  if (isSrvctlError(e)) {
    process.stderr.write(`srvctl: ${e.message}\n`);
    for (const d of e.details) process.stderr.write(`  ${d}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ ...(e.data ?? {}), error: { code: e.code, message: e.message, details: e.details } }, null, 2)}\n`);
    return exitCodeFor(e);
  }
  const err = e as Error;
  process.stderr.write(`srvctl: internal error: ${err?.message ?? String(e)}\n`);
  if (context?.debug || process.argv.includes('--debug')) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write('  (this is a bug in srvctl; --debug shows the stack trace)\n');
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'internal', message: err?.message ?? String(e) } }, null, 2)}\n`);
  return EXIT.failure;
}

// No top-level await: the bundle is CommonJS (run from V8's code cache, scripts/bundle.mjs).
program.parseAsync(process.argv).then(
  () => {
    process.exitCode = exitCode;
  },
  (e: unknown) => {
    process.exitCode = reportError(e);
  },
);
