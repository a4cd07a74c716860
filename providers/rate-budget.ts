/**
 * A sliding-window request budget: at most `limit` requests in any `windowMs`. Cloudflare
 * allows 1,200 requests per 5 minutes per user and answers the 1,201st with a 5-minute
 * block; srvctl spends from its own budget first, so that one process never trips the block.
 */
export class RateBudget {
  private readonly stamps: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Milliseconds to wait, at `now`, before one more request fits the budget. */
  delay(now: number): number {
    while (this.stamps.length && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
    return this.stamps.length < this.limit ? 0 : this.stamps[0]! + this.windowMs - now;
  }

  spend(now: number): void {
    this.stamps.push(now);
  }

  /** Forgets every request (tests that run on their own clock). */
  clear(): void {
    this.stamps.length = 0;
  }
}

/** Shared by every Cloudflare provider of the process: the limit is per user, not per zone. */
export const cloudflareBudget = new RateBudget(1200, 5 * 60_000);
