/**
 * Amazon Personalize for the same load, as a custom solution of the User-Personalization recipe
 * (aws-user-personalization) behind a real-time campaign, priced by the TPS-hour generation of its
 * pricing: GB ingested, training hours, and TPS-hours of the campaign (the larger of its minimum
 * provisioned TPS and the TPS used, each hour). In that generation the recommendations served are
 * not billed apart from the TPS-hours. The -v2 recipes and domain recommenders are priced
 * otherwise and are not modelled.
 */
import { training } from '#shared/config/index.ts';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, type Assumptions } from './assumptions.ts';
import type { BenchFigures } from './bench.ts';
import { trainingSchedule } from './functions.ts';
import { num, tiered, use, usd, type LineItem, type Load } from './model.ts';
import type { PriceBook } from './prices.ts';

export const PERSONALIZE_RECIPE = 'User-Personalization (aws-user-personalization), custom solution + campaign';
export const PERSONALIZE_PRICING = 'TPS-hour generation: $/GB ingested, $/training hour, tiered $/TPS-hour';

export interface PersonalizeOptions {
  readonly load: Load;
  readonly prices: PriceBook;
  readonly bench: BenchFigures;
  readonly assumptions: Assumptions;
}

/** Cost of `tpsHours` over the tiers. */
export function tieredTpsHours(tpsHours: number, tiers: PriceBook['personalizeTpsHourTiers']): number {
  return tiered(tpsHours, tiers);
}

export function personalize(options: PersonalizeOptions): { lines: LineItem[]; totalUsd: number } {
  const { load, prices, bench, assumptions: a } = options;
  const ingest = use(prices, 'personalizeIngestGb');
  const trainHour = use(prices, 'personalizeTrainingHour');
  const events = load.eventsPerDay * DAYS_PER_MONTH;
  const gb = (events * bench.eventBytes.value) / 1e9;
  // The same schedule as the stack's training, so both models are as fresh.
  const { runs, hoursBetween } = trainingSchedule();
  const newEvents = (load.eventsPerDay * hoursBetween) / 24;
  const trainingRuns = newEvents >= training.minNewEvents ? runs : 0;
  const interactions = load.eventsPerDay * training.windowDays;
  const hoursPerRun = Math.max(1, (interactions / 1e6) * a.personalizeTrainingHoursPerMillion);
  const recommendations = load.recommendationsPerDay * DAYS_PER_MONTH;
  const tps = recommendations / (HOURS_PER_MONTH * 3600);
  // Traffic spread evenly: each hour bills max(min TPS, TPS used).
  const tpsHours = Math.max(a.personalizeMinTps, tps) * HOURS_PER_MONTH;
  const tiers = prices.personalizeTpsHourTiers;
  const lines: LineItem[] = [
    {
      service: 'Personalize',
      item: 'events ingested (PutEvents)',
      usd: gb * ingest[1].usd,
      formula: `${num(events)} events × ${num(bench.eventBytes.value)} B = ${num(gb, 1)} GB × ${usd(ingest[1].usd)}`,
      prices: [ingest],
    },
    {
      service: 'Personalize',
      item: 'training',
      usd: trainingRuns * hoursPerRun * trainHour[1].usd,
      formula:
        `${num(trainingRuns, 1)} runs (${training.schedule}, as the stack) × max(1, ${num(interactions)} interactions of ${training.windowDays} days × ` +
        `${a.personalizeTrainingHoursPerMillion} h/M) = ${num(hoursPerRun, 1)} h × ${usd(trainHour[1].usd)}`,
      prices: [trainHour],
    },
    {
      service: 'Personalize',
      item: `campaign TPS-hours (${num(recommendations)} recommendations)`,
      usd: tieredTpsHours(tpsHours, tiers),
      formula:
        `max(${a.personalizeMinTps} min TPS, ${num(tps, 2)} TPS used) × ${HOURS_PER_MONTH} h = ${num(tpsHours)} TPS-hours at ` +
        tiers.map((tier) => usd(tier.price.usd)).join(' / ') +
        ' (tiers to 20,000 / 200,000 / beyond); the recommendations themselves are not billed apart',
      prices: tiers.map((tier, i) => [`personalizeTpsHourTiers[${i}]`, tier.price] as const),
    },
  ];
  return { lines, totalUsd: lines.reduce((sum, line) => sum + line.usd, 0) };
}
