import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { api, apiLimits } from '#shared/config/index.ts';
import { storefrontEventSchema, streamEventSchema, type StreamEvent } from '#shared/events/schema.ts';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { trainTuned } from '#shared/recommender/autotune/autotune.ts';
import { SMALL_TUNE_BUDGET } from '#shared/recommender/autotune/budget.ts';
import { recordTuning } from '#shared/recommender/autotune/record.ts';
import type { DataWindow, TuningMetrics } from '#shared/training/pipeline.ts';
import type { Catalogue, TrafficSimulator } from './simulator/index.ts';
import type { LocalStack } from './stack.ts';

/** The model the local stack starts with, before any pipeline run. */
export interface BootstrapModel {
  /** The saved model directory. */
  readonly dir: string;
  /** Its registry version (`v<yyyyMMddHHmmss>-<hex>`, as the pipeline names versions). */
  readonly version: string;
  /** What it was trained on: the simulated history's span. */
  readonly window: DataWindow;
  readonly trainedOn: number;
  /** The history as stream events, for the local lake: a retrain reads it beside the live traffic. */
  readonly history: readonly StreamEvent[];
  /** What its tuning measured on validation, for the registry (as a training job reports it). */
  readonly tuning?: TuningMetrics;
}

/** Item metadata in the Personalize items schema the trainer takes. */
export function catalogueEntries(catalogue: Catalogue): CatalogueItem[] {
  return catalogue.items.map((item) => ({
    itemId: item.itemId,
    title: item.title,
    description: item.description,
    categories: item.categories,
    price: item.price,
    inStock: item.inStock,
  }));
}

/** A version id as the pipeline makes them, for `at`. */
export function bootstrapVersion(at: number): string {
  return `v${new Date(at).toISOString().replace(/\D/g, '').slice(0, 14)}-0000b007`;
}

/**
 * The first local model: the default trainer on a simulated history of the same shoppers and
 * catalogue the traffic simulator uses, saved in `dir`. The local stack serves it from the
 * endpoint stand-in and records it as the live version, as a first pipeline run would.
 */
export async function trainBootstrapModel(options: {
  readonly dir: string;
  readonly catalogue: Catalogue;
  readonly history: TrafficSimulator;
  readonly events: number;
}): Promise<BootstrapModel> {
  const interactions: Interaction[] = [];
  const history: StreamEvent[] = [];
  for (const raw of options.history.nextEvents(options.events)) {
    const event = storefrontEventSchema.parse(raw);
    const timestamp = event.timestamp;
    history.push(streamEventSchema.parse({ ...event, timestamp, receivedAt: timestamp }) as StreamEvent);
    if (event.itemId === undefined || event.type === 'search' || event.type === 'identify') continue;
    interactions.push({
      userId: event.userId ?? event.anonymousId ?? '',
      itemId: event.itemId,
      timestamp: Math.floor(timestamp / 1000),
      eventType: event.type,
      ...(event.quantity === undefined ? {} : { eventValue: event.quantity }),
    });
  }
  // Tuned like `reco train`, on a budget in trials so start-up stays short and repeats exactly.
  const { model, report } = await trainTuned(
    trainerFor('hybrid'),
    { interactions, catalogue: catalogueEntries(options.catalogue) },
    {},
    { budget: SMALL_TUNE_BUDGET },
  );
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(options.dir, { recursive: true });
  await model.save(options.dir);
  if (report !== undefined) await recordTuning(options.dir, report);
  const first = history[0]?.receivedAt ?? Date.now();
  const end = new Date((history.at(-1)?.receivedAt ?? first) + 1).toISOString();
  return {
    dir: options.dir,
    version: bootstrapVersion(Date.now()),
    window: { from: new Date(first).toISOString(), holdoutFrom: end, to: end },
    trainedOn: interactions.length,
    history,
    ...(report === undefined
      ? {}
      : {
          tuning: {
            validationNdcg10: report.tuned['ndcg@10'],
            validationHr10: report.tuned['hr@10'],
            defaultsNdcg10: report.defaults['ndcg@10'],
            trials: report.trials,
            seconds: report.tuneSeconds,
            gainStandardError: report.decision.standardError,
            keptDefaults: report.decision.kept === 'defaults' ? 1 : 0,
          },
        }),
  };
}

export const localModelDir = (dataDir: string) => join(dataDir, 'model');

/** Puts the simulated catalogue into the feature store through the server API, as a shop would. */
export async function uploadCatalogue(stack: Pick<LocalStack, 'serverFetch'>, catalogue: Catalogue): Promise<void> {
  const items = catalogueEntries(catalogue).map(({ itemId, title, description, categories, price, inStock }) => ({
    itemId,
    title,
    description,
    categories,
    price,
    currency: 'EUR',
    inStock,
  }));
  for (let start = 0; start < items.length; start += apiLimits.maxItemsPerRequest) {
    const response = await stack.serverFetch(api.routes.catalogueItems, {
      method: api.routeMethods.catalogueItems,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: items.slice(start, start + apiLimits.maxItemsPerRequest) }),
    });
    if (response.status !== 200)
      throw new Error(`catalogue upload failed: ${response.status} ${await response.text()}`);
  }
}
