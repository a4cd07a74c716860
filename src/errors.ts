/**
 * One error family for every expected failure. cli.ts maps `code` to an exit code;
 * anything that is not a SrvctlError is a bug and may show a stack trace with --debug.
 */
export type ErrorCode =
  | 'usage' // bad command line
  | 'manifest' // manifest or input file invalid
  | 'provider' // provider refused, unreachable, or changed under us
  | 'dns' // a DNS query failed
  | 'verify' // nameservers did not agree in time
  | 'prediction' // etcd would reject what DNS says
  | 'guard' // the running cluster disagrees with the change (live guards)
  | 'io'; // a local file could not be read or written

export class SrvctlError extends Error {
  readonly code: ErrorCode;
  /** Further lines, each one self-contained (for example one per manifest error). */
  readonly details: readonly string[];
  /** partial results for --json (what was done before the failure) */
  readonly data?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: readonly string[] = [], data?: Record<string, unknown>) {
    super(message);
    this.name = 'SrvctlError';
    this.code = code;
    this.details = details;
    this.data = data;
  }
}

/**
 * A provider write that failed after part of it took effect (rfc2136: a plan split into
 * several UPDATEs, some applied; Cloudflare: some batches applied), or may have (a message
 * sent and never answered). The core must not treat DNS as unchanged: it keeps the etcd
 * writes that the applied part may already publish instead of undoing them.
 */
export class PartialApplyError extends SrvctlError {
  constructor(
    message: string,
    details: readonly string[],
    /** how many of the provider's messages took effect, and how many there were */
    readonly applied: number,
    readonly total: number,
    /** the failed message went out and its effect is unknown (a timeout after sending) */
    readonly outcomeUnknown = false,
  ) {
    super('provider', message, details);
  }
}

export const EXIT = {
  ok: 0,
  failure: 1,
  /** plan: changes pending; drift: drift found; check: warnings only */
  attention: 2,
  usage: 64,
  invalid: 65,
} as const;

export function exitCodeFor(err: SrvctlError): number {
  switch (err.code) {
    case 'usage':
      return EXIT.usage;
    case 'manifest':
      return EXIT.invalid;
    default:
      return EXIT.failure;
  }
}

export function isSrvctlError(e: unknown): e is SrvctlError {
  return e instanceof SrvctlError;
}
