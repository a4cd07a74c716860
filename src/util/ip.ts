import { isIP } from 'node:net';

/**
 * node:net's isIP, asked only of text that could be an address literal (digits and dots,
 * or a colon). Node builds its IPv6 pattern on the first call, which costs milliseconds of
 * every command's start-up; a host name (letters in it, no colon) needs no such call.
 */
export function ipVersion(s: string): 0 | 4 | 6 {
  if (!s.includes(':') && !/^[0-9.]+$/.test(s)) return 0;
  return isIP(s) as 0 | 4 | 6;
}
