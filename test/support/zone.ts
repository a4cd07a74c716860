import { Authority } from '../../src/dns/authority.js';
import { startServer, type RunningServer } from '../../src/dns/server.js';
import { parseZone } from '../../src/dns/zonefile.js';

export const TEST_ZONE = `$ORIGIN example.com.
$TTL 300
@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 42 3600 600 604800 120
@ 3600 IN NS ns1
ns1 IN A 127.0.0.1
_etcd-server._tcp.coreos IN SRV 0 0 2380 node1.coreos
_etcd-server._tcp.coreos IN SRV 0 0 2380 node2.coreos
_etcd-server._tcp.coreos IN SRV 10 5 2380 node3.coreos
node1.coreos IN A 10.0.0.1
node1.coreos IN AAAA 2001:db8::1
node2.coreos IN A 10.0.0.2
node3.coreos IN A 10.0.0.3
alias.coreos IN CNAME node1.coreos
big IN TXT ${Array.from({ length: 12 }, (_, i) => `"${'x'.repeat(200)}${i}"`).join(' ')}
big IN TXT "second"
`;

export async function serveText(text = TEST_ZONE, host = '127.0.0.1'): Promise<RunningServer> {
  return startServer(new Authority('example.com', parseZone(text, 'example.com').records), { host, port: 0 });
}
