import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../../src/util/atomic-write.js';
import { clusterYaml, manifestFrom, syncInProcess } from './pipeline.js';

const ZONE = `$ORIGIN example.com.
$TTL 300
@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 604800 120
@ 3600 IN NS ns1
ns1 IN A 127.0.0.1
`;

// nobody:nogroup on Debian
const NOBODY = 65534;
const NOGROUP = 65534;

describe('writes: the one writer of zone, --prom-file and --out files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srvctl-write-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const manifest = (zonePath: string) =>
    manifestFrom(join(dir, 'c.yaml'), clusterYaml({ cluster: 'c', domain: 'c.example.com', zone: 'example.com', members: 3, net: 1, provider: `  type: zonefile\n  path: ${zonePath}` }));

  it('a symlinked zone: the target gets the records and the link stays a link', async () => {
    await mkdir(join(dir, 'bind'));
    const target = join(dir, 'bind', 'example.com.db');
    await writeFile(target, ZONE);
    const link = join(dir, 'example.com.zone');
    await symlink('bind/example.com.db', link);
    await syncInProcess(manifest(link));
    assert.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link');
    assert.equal(await readlink(link), 'bind/example.com.db');
    assert.match(await readFile(target, 'utf8'), /_etcd-server\._tcp\.c\.example\.com\. 300 IN SRV/);
    assert.equal(await readFile(link, 'utf8'), await readFile(target, 'utf8'));
  });

  it('owner, group and mode are kept: nobody:nogroup 0640 stays nobody:nogroup 0640; 0664 stays 0664', async () => {
    const zone = join(dir, 'example.com.zone');
    await writeFile(zone, ZONE);
    await chown(zone, NOBODY, NOGROUP);
    await chmod(zone, 0o640);
    await syncInProcess(manifest(zone));
    let st = await stat(zone);
    assert.deepEqual([st.uid, st.gid, (st.mode & 0o7777).toString(8)], [NOBODY, NOGROUP, '640']);
    assert.match(await readFile(zone, 'utf8'), /IN SRV/);

    const old = process.umask(0o022);
    try {
      await chown(zone, 0, 0);
      await chmod(zone, 0o664);
      await writeAtomic(zone, `${await readFile(zone, 'utf8')}; touched\n`);
      st = await stat(zone);
      assert.equal((st.mode & 0o7777).toString(8), '664', 'the umask does not narrow an existing file');
    } finally {
      process.umask(old);
    }
  });

  it('--prom-file and --out paths: symlink followed, mode and owner kept; a new file gets the default mode', async () => {
    const real = join(dir, 'metrics.prom.real');
    await writeFile(real, 'old\n');
    await chown(real, NOBODY, NOGROUP);
    await chmod(real, 0o604);
    const link = join(dir, 'metrics.prom');
    await symlink(real, link);
    await writeAtomic(link, 'new\n');
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readFile(real, 'utf8'), 'new\n');
    const st = await stat(real);
    assert.deepEqual([st.uid, st.gid, (st.mode & 0o7777).toString(8)], [NOBODY, NOGROUP, '604']);

    const fresh = join(dir, 'node1.yaml');
    const old = process.umask(0o022);
    try {
      await writeAtomic(fresh, 'x\n', { defaultMode: 0o600 });
    } finally {
      process.umask(old);
    }
    assert.equal(((await stat(fresh)).mode & 0o777).toString(8), '600');
  });

  it('a dangling symlink: the file is created where the link points', async () => {
    const link = join(dir, 'out.yaml');
    await symlink('made-later.yaml', link);
    await writeAtomic(link, 'hello\n');
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readFile(join(dir, 'made-later.yaml'), 'utf8'), 'hello\n');
  });
});
