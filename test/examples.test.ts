import assert from 'node:assert/strict';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseManifest } from '../src/manifest/load.js';
import { Bind, newKey, type BindKey } from './support/bind.js';
import { freePort } from './support/ports.js';
import { CLI, ROOT, run, srvctl, type RunResult } from './support/run.js';

/**
 * Each example in examples/ run as its host would run it: the systemd unit's ExecStart as
 * a dynamic user would (an unprivileged uid, its credentials directory, its groups), the
 * CronJob's container as the kubelet would (its uid and fsGroup, the ConfigMap as files,
 * the Secret as environment). Both check clusters at a real BIND over signed RFC 2136.
 * The Containerfile and the CI workflow are exercised by test/package/.
 */
const EX = join(ROOT, 'examples');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
const NOBODY = 65534;
const METRICS_GID = 64123; // stands for the unit's SupplementaryGroups= group

/** systemd-analyze verify in a private root holding the system's units and a stand-in srvctl. */
async function verifyUnits(files: Record<string, string>): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'srvctl-systemd-'));
  try {
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'usr/local/bin/srvctl'), '#!/bin/sh\n');
    chmodSync(join(root, 'usr/local/bin/srvctl'), 0o755);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'etc/systemd/system', name), text);
    const r = await run('systemd-analyze', ['verify', `--root=${root}`, ...Object.keys(files)]);
    if (r.code !== 0 && /not found/.test(r.stderr) && !/srvctl-drift/.test(r.stderr)) throw new Error(`systemd-analyze cannot verify here: ${r.stderr}`);
    return `${r.stdout}${r.stderr}`.trim() + (r.code ? `\nexit ${r.code}` : '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The [Service] settings of a unit, each key with every value it is given. */
function serviceSettings(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const line of unit.split('\n')) {
    const head = /^\[(\w+)\]$/.exec(line.trim());
    if (head) section = head[1]!;
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (section === 'Service' && kv) out.set(kv[1]!, [...(out.get(kv[1]!) ?? []), kv[2]!]);
  }
  return out;
}

const one = (s: Map<string, string[]>, key: string) => {
  const v = s.get(key);
  assert.equal(v?.length, 1, `exactly one ${key}=`);
  return v[0]!;
};

/** Runs argv as uid:gid with exactly these supplementary groups, umask and environment. */
function runAs(uid: number, gid: number, groups: number[], umask: string, env: Record<string, string>, argv: string[]): Promise<RunResult> {
  const creds = ['--reuid', String(uid), '--regid', String(gid), ...(groups.length ? ['--groups', groups.join(',')] : ['--clear-groups'])];
  const envArgs = Object.entries({ PATH: '/usr/local/bin:/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
  return run('setpriv', [...creds, '--', 'env', '-i', ...envArgs, 'sh', '-c', `umask ${umask}; exec "$@"`, 'sh', ...argv]);
}

const cronjobDocs = () =>
  parseAllDocuments(readFileSync(join(EX, 'kubernetes/srvctl-drift-cronjob.yaml'), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS();
  });

/** The ConfigMap's manifest, pointed at the test's BIND instead of the example's 192.0.2.53 (not reachable from here). */
const atLocalBind = (text: string, port: number) => {
  assert.match(text, /^ {2}server: 192\.0\.2\.53$/m);
  return text.replace(/^ {2}server: 192\.0\.2\.53$/m, `  server: 127.0.0.1\n  port: ${port}`);
};

describe('scheduling examples, run as their hosts run them', function () {
  this.timeout(120_000);
  let bind: Bind;
  let key: BindKey;
  let root: string;
  let manifestText: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'srvctl-examples-'));
    chmodSync(root, 0o755); // the unprivileged users below must reach their files
    key = newKey('srvctl');
    const zone = `$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n${[1, 2, 3].map((n) => `node${n}.coreos IN A 10.0.0.${n}\n`).join('')}`;
    bind = new Bind({ zone: 'example.com', zoneText: zone, port: await freePort(), keys: [key] });
    await bind.start();
    const cm = cronjobDocs().find((d) => d.kind === 'ConfigMap');
    manifestText = atLocalBind(cm.data['prod-etcd.yaml'], bind.port);
    // The records the scheduled checks then find in place.
    writeFileSync(join(root, 'seed.yaml'), manifestText);
    const seeded = await srvctl(['sync', join(root, 'seed.yaml'), '--yes', '--no-verify', '--force'], { env: { SRVCTL_TSIG: key.secret } });
    assert.equal(seeded.code, 0, seeded.stderr);
  });
  after(async () => {
    await bind?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  describe('systemd: srvctl-drift.service and .timer with DynamicUser=yes', () => {
    const service = readFileSync(join(EX, 'systemd/srvctl-drift.service'), 'utf8');
    const timer = readFileSync(join(EX, 'systemd/srvctl-drift.timer'), 'utf8');
    const settings = serviceSettings(service);

    it('pass systemd-analyze verify', async () => {
      assert.equal(await verifyUnits({ 'srvctl-drift.service': service, 'srvctl-drift.timer': timer }), '');
      assert.equal(one(settings, 'SuccessExitStatus'), '2', 'drift (exit 2) is a result, not a unit failure');
      assert.equal(one(settings, 'DynamicUser'), 'yes');
      assert.equal(settings.get('EnvironmentFile'), undefined, 'secrets come through LoadCredential=, not a file the dynamic user cannot read');
    });

    it('systemd-analyze does catch a broken unit (the check above can fail)', async () => {
      assert.notEqual(await verifyUnits({ 'srvctl-drift.service': service, 'srvctl-drift.timer': timer.replace('OnUnitActiveSec=5min', 'OnUnitActiveSec=5bogus') }), '');
    });

    /** The host as the unit expects it, under `host`; returns the command line and environment systemd would run. */
    function hostFor(host: string) {
      const [credName, credSource] = one(settings, 'LoadCredential').split(':') as [string, string];
      const writable = one(settings, 'ReadWritePaths');
      const argv = one(settings, 'ExecStart').split(/\s+/);
      const promArg = argv[argv.indexOf('--prom-file') + 1]!;
      assert.equal(dirname(promArg), writable, '--prom-file lies in the unit\'s one writable directory');
      const clustersArg = argv[2]!;
      const at = (p: string) => join(host, p);
      // /etc/srvctl: the manifests and the root-only secret the credential is loaded from.
      mkdirSync(at(clustersArg), { recursive: true });
      writeFileSync(join(at(clustersArg), 'prod-etcd.yaml'), manifestText);
      mkdirSync(dirname(at(credSource)), { recursive: true });
      writeFileSync(at(credSource), `key "srvctl" {\n\talgorithm hmac-sha256;\n\tsecret "${key.secret}";\n};\n`, { mode: 0o600 });
      // The group-owned textfile directory of the unit's comment: root:srvctl-metrics 2775.
      mkdirSync(at(writable), { recursive: true });
      chownSync(at(writable), 0, METRICS_GID);
      chmodSync(at(writable), 0o2775);
      // What systemd does for LoadCredential=: a private copy, 0400, owned by the unit's user.
      const credDir = at('run/credentials/srvctl-drift.service');
      mkdirSync(credDir, { recursive: true });
      writeFileSync(join(credDir, credName), readFileSync(at(credSource)), { mode: 0o400 });
      chownSync(join(credDir, credName), NOBODY, NOBODY);
      chownSync(credDir, NOBODY, NOBODY);
      chmodSync(credDir, 0o500);
      // /usr/local/bin/srvctl: this checkout's build.
      mkdirSync(dirname(at(argv[0]!)), { recursive: true });
      writeFileSync(at(argv[0]!), `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`, { mode: 0o755 });
      const mapped = argv.map((a) => (a.startsWith('/') ? at(a) : a));
      return { argv: mapped, prom: at(promArg), credDir, umask: one(settings, 'UMask') };
    }

    it("ExecStart runs as an unprivileged uid: the TSIG key from $CREDENTIALS_DIRECTORY, metrics into the group's directory", async () => {
      const host = join(root, 'systemd');
      const { argv, prom, credDir, umask } = hostFor(host);
      assert.equal(one(settings, 'SupplementaryGroups'), 'srvctl-metrics');
      const r = await runAs(NOBODY, NOBODY, [METRICS_GID], umask, { CREDENTIALS_DIRECTORY: credDir }, [...argv, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.drift, false);
      assert.deepEqual(doc.clusters.map((c: { cluster: string; ok: boolean }) => [c.cluster, c.ok]), [['prod-etcd', true]]);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(key.secret), 'the secret is never printed');
      const st = statSync(prom);
      assert.equal(st.uid, NOBODY);
      assert.equal(st.gid, METRICS_GID, 'the setgid directory hands its group to the file');
      assert.equal(st.mode & 0o777, 0o644, 'node_exporter (another user) can read it');
      assert.match(readFileSync(prom, 'utf8'), /^srvctl_drift_check_success\{cluster="prod-etcd"\} 1$/m);

      // Without the credential the same command names what is missing; without the group it cannot write.
      const noCred = await runAs(NOBODY, NOBODY, [METRICS_GID], umask, {}, argv);
      assert.equal(noCred.code, 1);
      assert.match(`${noCred.stdout}${noCred.stderr}`, /SRVCTL_TSIG/);
      const noGroup = await runAs(NOBODY, NOBODY, [], umask, { CREDENTIALS_DIRECTORY: credDir }, argv);
      assert.equal(noGroup.code, 1);
      assert.match(`${noGroup.stdout}${noGroup.stderr}`, /cannot write --prom-file .*(EACCES|permission denied)/i);
    });
  });

  describe('Kubernetes: srvctl-drift-cronjob.yaml', () => {
    const containerfile = readFileSync(join(EX, 'container/Containerfile'), 'utf8');
    const docs = cronjobDocs();
    const byKind = (kind: string) => {
      const found = docs.filter((d) => d.kind === kind);
      assert.equal(found.length, 1, `one ${kind}`);
      return found[0];
    };
    const cron = byKind('CronJob');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const container = pod.containers[0];
    const mountOf = (c: { volumeMounts: { name: string; mountPath: string }[] }, volume: string) => c.volumeMounts.find((m) => m.name === volume)?.mountPath;
    const volumeOf = (p: { volumes: { name: string }[] }, pick: (v: Record<string, any>) => unknown) => p.volumes.find((v) => pick(v));

    it('names, paths, image and entry point agree across the documents and with the Containerfile', () => {
      assert.equal(cron.apiVersion, 'batch/v1');
      assert.match(cron.spec.schedule, /^\S+ \S+ \S+ \S+ \S+$/);
      assert.equal(pod.restartPolicy, 'Never');
      // The image's entry point is srvctl: no command override, args begin with a srvctl command.
      const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(containerfile)![1]!);
      assert.equal(container.command, undefined);
      assert.deepEqual(entrypoint.slice(0, 1), ['node']);
      assert.match(entrypoint[1], /\/dist\/bundle\/cli\.js$/);
      assert.equal(container.image.split(':').pop(), VERSION, 'the image tag is the release it runs');
      assert.equal(pod.securityContext.runAsUser, Number(/^USER (\d+)/m.exec(containerfile)![1]), "the Containerfile's USER");
      // ConfigMap -> volume -> mount -> drift argument.
      const cm = byKind('ConfigMap');
      const clusters = volumeOf(pod, (v) => v.configMap?.name === cm.metadata.name) as { name: string };
      assert.ok(clusters, 'the ConfigMap is mounted');
      assert.deepEqual(container.args.slice(0, 2), ['drift', mountOf(container, clusters.name)]);
      // PVC -> volume -> mount -> --prom-file, and the exporter reads the same claim at its textfile directory.
      const pvc = byKind('PersistentVolumeClaim');
      const metrics = volumeOf(pod, (v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name) as { name: string };
      const prom = container.args[container.args.indexOf('--prom-file') + 1];
      assert.equal(dirname(prom), mountOf(container, metrics.name));
      const exporter = byKind('Deployment').spec.template.spec;
      const exporterVolume = volumeOf(exporter, (v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name) as { name: string };
      const textfileDir = exporter.containers[0].args.find((a: string) => a.startsWith('--collector.textfile.directory=')).split('=')[1];
      assert.equal(mountOf(exporter.containers[0], exporterVolume.name), textfileDir);
      assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'), 'the Job and the exporter may run on different nodes');
      // The Secret is the one the comment tells how to create, and every secret a manifest names is a variable.
      const secret = container.envFrom[0].secretRef.name;
      assert.match(readFileSync(join(EX, 'kubernetes/srvctl-drift-cronjob.yaml'), 'utf8'), new RegExp(`kubectl create secret generic ${secret} --from-literal=SRVCTL_TSIG=`));
      for (const [name, text] of Object.entries(cm.data as Record<string, string>)) {
        const r = parseManifest(name, text);
        assert.ok(r.manifest, r.findings.map((f) => f.message).join('\n'));
      }
    });

    it("the container's args run as the pod would: its uid and fsGroup, the ConfigMap as files, the Secret as environment", async () => {
      const host = join(root, 'pod');
      const uid = pod.securityContext.runAsUser as number;
      const fsGroup = pod.securityContext.fsGroup as number;
      const clustersPath = container.args[1] as string;
      const metricsPath = dirname(container.args[container.args.indexOf('--prom-file') + 1]);
      const at = (p: string) => join(host, p);
      mkdirSync(at(clustersPath), { recursive: true });
      for (const name of Object.keys(byKind('ConfigMap').data)) writeFileSync(join(at(clustersPath), name), manifestText);
      // The kubelet makes an fsGroup volume group-owned and setgid.
      mkdirSync(at(metricsPath), { recursive: true });
      chownSync(at(metricsPath), 0, fsGroup);
      chmodSync(at(metricsPath), 0o2775);
      const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(containerfile)![1]!) as string[];
      // The image's /opt/srvctl holds what this checkout's build holds (test/package replays the image itself).
      const argv = [process.execPath, CLI, ...container.args.map((a: string) => (a.startsWith('/') ? at(a) : a))];
      assert.match(entrypoint[1]!, /^\/opt\/srvctl\/dist\/bundle\/cli\.js$/);
      const r = await runAs(uid, pod.securityContext.runAsGroup, [fsGroup], '0022', { SRVCTL_TSIG: key.secret }, argv);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.drift, false);
      assert.equal(doc.failed, 0);
      const prom = readFileSync(join(at(metricsPath), 'srvctl.prom'), 'utf8');
      assert.match(prom, /^srvctl_drift_check_success\{cluster="prod-etcd"\} 1$/m);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(key.secret), 'the secret is never printed');
    });
  });
});
