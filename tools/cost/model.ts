/** The types every part of the cost model shares. */
import type { DeploymentShape } from '#shared/config/shapes.ts';
import type { Assumptions } from './assumptions.ts';
import type { BenchFigures } from './bench.ts';
import type { Price, PriceBook } from './prices.ts';

/** The traffic a month is priced for (the CLI's flags). */
export interface Load {
  readonly eventsPerDay: number;
  readonly recommendationsPerDay: number;
  /** Items in the catalogue. */
  readonly catalogItems: number;
  /** Share of list requests answered from the cache, 0..1. */
  readonly cacheHitRatio: number;
}

/** A price as used: its key in the price book, and the price. */
export type PriceUse = readonly [key: string, price: Price];

/** One billed item of a month. */
export interface LineItem {
  /** AWS service, as on the bill. */
  readonly service: string;
  /** What of the service. */
  readonly item: string;
  readonly usd: number;
  /** The arithmetic with its numbers, e.g. `1,000,000 requests × $3.50/M`. */
  readonly formula: string;
  readonly prices: readonly PriceUse[];
}

/** A volume tier: its price up to `upTo` units a month in all (the next tier's price above). */
export interface Tier {
  readonly upTo: number;
  readonly price: Price;
}

/** Cost of `quantity` over `tiers`, each price per `per` units (a million requests, one TPS-hour). */
export function tiered(quantity: number, tiers: readonly Tier[], per = 1): number {
  let from = 0;
  let total = 0;
  for (const tier of tiers) {
    const inTier = Math.max(0, Math.min(quantity, tier.upTo) - from);
    total += (inTier / per) * tier.price.usd;
    from = tier.upTo;
    if (quantity <= from) break;
  }
  return total;
}

/** Everything a service's formula may read. */
export interface CostContext {
  readonly load: Load;
  readonly shape: DeploymentShape;
  readonly prices: PriceBook;
  readonly bench: BenchFigures;
  readonly assumptions: Assumptions;
}

/** A price of the book by key, for {@link LineItem.prices}. */
export function use<K extends keyof PriceBook>(prices: PriceBook, key: K): PriceUse & { readonly 1: Price } {
  const price = prices[key];
  if (!isPrice(price)) throw new Error(`${String(key)} is a table of prices, not a price`);
  return [key, price];
}

function isPrice(value: unknown): value is Price {
  return typeof value === 'object' && value !== null && 'usd' in value;
}

// Formatters are built once: a crossover search prices hundreds of months, each with ~100 numbers.
const numberFormats = new Map<number, Intl.NumberFormat>();
const priceFormat = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });

/** `n` with thousands separators and at most `digits` decimals. */
export function num(n: number, digits = 0): string {
  let format = numberFormats.get(digits);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits });
    numberFormats.set(digits, format);
  }
  return format.format(n);
}

/** A dollar price as written on pricing pages: all its significant digits. */
export function usd(n: number): string {
  return `$${priceFormat.format(n)}`;
}
