import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { query } from '../../src/dns/transport.js';
import { Bind } from '../support/bind.js';
import { parseQuery } from '../support/fakedns.js';
import { freePort } from '../support/ports.js';
import { readReplyEdns, readReplyHead } from '../../src/dns/question.js';

/**
 * The hardened transport against a real server: BIND echoes the 0x20 case and speaks DNS
 * COOKIEs by default, so every answer must come over UDP on the first try (a mistake in
 * either would silently push each query to TCP), and the server cookie BIND hands out
 * must be sent back. A relay between the two records what crosses.
 */
describe('hostile peers: 0x20 and cookies against BIND', function () {
  this.timeout(60_000);

  it('answers over UDP, with the case echoed and the server cookie returned', async () => {
    const bind = new Bind({
      zone: 'example.com',
      zoneText: '$TTL 300\n@ IN SOA ns1.example.com. h.example.com. 1 3600 600 604800 300\n@ IN NS ns1.example.com.\nns1 IN A 127.0.0.1\n_etcd-server._tcp.coreos IN SRV 0 0 2380 node1.coreos\nnode1.coreos IN A 10.0.0.1\n',
      port: await freePort(),
    });
    const front = createSocket('udp4');
    const back = createSocket('udp4');
    const queries: Buffer[] = [];
    const replies: Buffer[] = [];
    let client: RemoteInfo | undefined;
    try {
      await bind.start();
      front.on('message', (m, from) => {
        client = from;
        queries.push(m);
        back.send(m, bind.port, '127.0.0.1');
      });
      back.on('message', (m) => {
        replies.push(m);
        front.send(m, client!.port, client!.address);
      });
      await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
      await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
      const server = { host: '127.0.0.1', port: front.address().port };
      for (let i = 0; i < 3; i++) {
        const a = await query(server, '_etcd-server._tcp.coreos.example.com', 'SRV', { timeoutMs: 2000, retries: 0 });
        assert.equal(a.transport, 'udp');
        assert.equal(a.tries, 1);
        assert.equal(a.ignored, 0);
        assert.deepEqual(a.answers.map((r) => r.rdata), ['0 0 2380 node1.coreos.example.com.']);
      }
      const firstReply = readReplyHead(replies[0]!)!;
      const replyCookie = readReplyEdns(replies[0]!, firstReply)!.cookie;
      assert.ok(replyCookie && replyCookie.length >= 16, 'BIND answered with a server cookie');
      const sent = parseQuery(queries[2]!).cookie!;
      assert.ok(sent.subarray(0, 8).equals(replyCookie.subarray(0, 8)), 'one client cookie per server');
      assert.ok(sent.length > 8, 'the server cookie is sent back');
      assert.ok(queries.some((q) => /[A-Z]/.test(parseQuery(q).name)), 'the name went out in mixed case');
    } finally {
      front.close();
      back.close();
      await bind.dispose();
    }
  });
});
