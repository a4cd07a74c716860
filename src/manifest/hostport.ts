import type { HostPort } from './types.js';
import { ipVersion } from '../util/ip.js';

/** Parses "host", "host:port", "v4:port", "[v6]:port" or a bare IPv6 address. */
export function parseHostPort(text: string, defaultPort: number): HostPort | null {
  const s = text.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    if (ipVersion(bracket[1]!) !== 6) return null;
    return finish(bracket[1]!, bracket[2], defaultPort);
  }
  if (ipVersion(s) === 6) return { host: s, port: defaultPort };
  const colon = s.lastIndexOf(':');
  if (colon >= 0) return finish(s.slice(0, colon), s.slice(colon + 1), defaultPort);
  return s ? { host: s, port: defaultPort } : null;
}

function finish(host: string, port: string | undefined, defaultPort: number): HostPort | null {
  if (!host) return null;
  if (port === undefined) return { host, port: defaultPort };
  if (!/^\d{1,5}$/.test(port)) return null;
  const n = Number(port);
  if (n < 1 || n > 65535) return null;
  return { host, port: n };
}

export function formatHostPort(hp: HostPort): string {
  return ipVersion(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
