/** Smallest latency told apart, ms; anything faster counts as this. */
const FLOOR_MS = 0.05;
/** Each bin is this much wider than the one before: a percentile is off by at most half of it (2 %). */
const GROWTH = 1.04;
const LOG_GROWTH = Math.log(GROWTH);

/**
 * Latencies of one route in one period, as counts in log-spaced bins: memory grows with the spread
 * of the latencies (a few dozen bins), not with the requests, and periods merge by adding counts.
 * Hand-written rather than an HDR histogram: the collector keeps one per route and period for three
 * hours, and these stay a sparse map of a few entries each.
 */
export class LatencyHistogram {
  private readonly bins = new Map<number, number>();
  private total = 0;

  get count(): number {
    return this.total;
  }

  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const bin = Math.max(0, Math.ceil(Math.log(Math.max(ms, FLOOR_MS) / FLOOR_MS) / LOG_GROWTH));
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + 1);
    this.total += 1;
  }

  /** Adds `other`'s counts to this one. */
  merge(other: LatencyHistogram): void {
    for (const [bin, count] of other.bins) this.bins.set(bin, (this.bins.get(bin) ?? 0) + count);
    this.total += other.total;
  }

  /**
   * The latency below which a `q` share (0..1) of the requests fell, as the geometric middle of its
   * bin, or null without requests.
   */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (const bin of [...this.bins.keys()].sort((a, b) => a - b)) {
      seen += this.bins.get(bin) ?? 0;
      if (seen >= rank) return bin === 0 ? FLOOR_MS : FLOOR_MS * GROWTH ** (bin - 0.5);
    }
    return null;
  }
}
