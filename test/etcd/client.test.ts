import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GatewayClient } from '../../src/etcd/client.js';

/**
 * The gateway client against two in-process endpoints sharing one member table: a remove
 * or an update that the first endpoint applies and then fails to answer (the removed member
 * itself, stopping) is found done by reading the list again, not reported as failed.
 */
interface Member {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

describe('etcd gateway client: a change applied but not answered counts as done', () => {
  let members: Member[];
  const servers: Server[] = [];
  let endpoints: string[] = [];
  /** how endpoint 0 answers a remove or update after applying it */
  let firstDropsAfterApplying = true;
  /** every endpoint refuses changes (as etcd does without quorum), applying nothing */
  let refuseChanges = false;

  const handler = (index: number) => (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const doc = body ? (JSON.parse(body) as { ID?: string; peerURLs?: string[] }) : {};
      const reply = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url === '/v3/cluster/member/list') return reply(200, { header: { cluster_id: '1234' }, members });
      if (refuseChanges) return reply(503, { error: 'etcdserver: request timed out', code: 14 });
      const id = String(doc.ID);
      const found = members.find((m) => m.ID === id);
      if (!found) return reply(500, { error: 'etcdserver: member not found', code: 5 });
      if (req.url === '/v3/cluster/member/remove') members = members.filter((m) => m !== found);
      if (req.url === '/v3/cluster/member/update') found.peerURLs = doc.peerURLs ?? [];
      // endpoint 0 is the member being changed: it applies the change, then goes away unanswered
      if (index === 0 && firstDropsAfterApplying) return req.socket.destroy();
      return reply(200, { header: {}, members });
    });
  };

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const s = createServer(handler(i));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
    }
    endpoints = servers.map((s) => `http://127.0.0.1:${(s.address() as { port: number }).port}`);
  });
  after(() => {
    for (const s of servers) s.close();
  });
  beforeEach(() => {
    firstDropsAfterApplying = true;
    refuseChanges = false;
    members = [
      { ID: '17', name: 'node1', peerURLs: ['http://node1:2380'], clientURLs: [] },
      { ID: '34', name: 'node2', peerURLs: ['http://node2:2380'], clientURLs: [] },
    ];
  });

  it('member remove: endpoint 0 removes and drops the connection, endpoint 1 says "member not found": done', async () => {
    const client = new GatewayClient(endpoints, {}, { timeoutMs: 2000, patienceMs: 0 });
    await client.memberRemove('11'); // hex of 17
    assert.deepEqual(members.map((m) => m.name), ['node2']);
  });

  it('member update: applied and unanswered, then "member not found" nowhere: the list shows the new URL, done', async () => {
    const client = new GatewayClient(endpoints, {}, { timeoutMs: 2000, patienceMs: 0 });
    await client.memberUpdate('11', ['http://node1b:2380']);
    assert.deepEqual(members.find((m) => m.ID === '17')?.peerURLs, ['http://node1b:2380']);
  });

  it('a remove that etcd refuses everywhere still fails, naming each endpoint', async () => {
    const client = new GatewayClient(endpoints, {}, { timeoutMs: 2000, patienceMs: 0 });
    refuseChanges = true;
    await assert.rejects(client.memberRemove('22'), (e: Error & { details?: string[] }) => /etcd member remove 22: no etcd endpoint answered/.test(e.message) && e.details!.length === 2);
    assert.equal(members.length, 2);
  });
});
