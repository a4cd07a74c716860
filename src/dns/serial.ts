/**
 * Next SOA serial (RFC 1982 arithmetic): date-style serials (YYYYMMDDnn) move to today's
 * date when that is ahead, any other serial goes up by one; never 0 after a wrap.
 */
export function nextSerial(old: number, now: Date): number {
  const today = Number(`${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}${String(now.getUTCDate()).padStart(2, '0')}00`);
  const dateLike = old >= 1970010100 && old <= 2099123199;
  const candidate = dateLike && today > old ? today : (old + 1) % 2 ** 32;
  return candidate === 0 ? 1 : candidate;
}
