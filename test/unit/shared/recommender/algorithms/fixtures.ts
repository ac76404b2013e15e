/**
 * Hand-made training data for the recommender tests: two disjoint taste clusters (garden and
 * kitchen), a cold garden item known only from the catalogue, and a seeded latent-factor set.
 */
import { mulberry32 } from '#shared/random.ts';
import type { CatalogueItem, Interaction, TrainingData } from '#shared/recommender/model.ts';

export const GARDEN = ['garden-hose', 'garden-rake', 'garden-spade', 'garden-gloves', 'garden-shears', 'garden-seeds'];
export const KITCHEN = [
  'kitchen-knife',
  'kitchen-pan',
  'kitchen-whisk',
  'kitchen-kettle',
  'kitchen-grater',
  'kitchen-scale',
];
/** In the catalogue with garden words, never interacted with. */
export const COLD_GARDEN_ITEM = 'garden-trowel';

const gardenText = (name: string): Pick<CatalogueItem, 'title' | 'description'> => ({
  title: `Garden ${name}`,
  description: 'Outdoor garden tool for soil, plants, lawn and flower beds.',
});
const kitchenText = (name: string): Pick<CatalogueItem, 'title' | 'description'> => ({
  title: `Kitchen ${name}`,
  description: 'Cooking utensil for the kitchen: stainless steel, dishwasher safe, for baking and meals.',
});

export const CLUSTER_CATALOGUE: CatalogueItem[] = [
  ...GARDEN.map((itemId, n) => ({
    itemId,
    ...gardenText(itemId.slice(7)),
    categories: ['Garden', 'Tools'],
    price: 10 + n,
    inStock: n !== 0,
  })),
  ...KITCHEN.map((itemId, n) => ({
    itemId,
    ...kitchenText(itemId.slice(8)),
    categories: ['Kitchen', 'Utensils'],
    price: 20 + n,
    inStock: true,
  })),
  { itemId: COLD_GARDEN_ITEM, ...gardenText('trowel'), categories: ['Garden', 'Tools'], price: 12, inStock: true },
];

/**
 * 10 garden shoppers and 10 kitchen shoppers, each viewing 4 of their cluster's 6 items (a
 * rotating window, so every pair of cluster mates co-occurs); shopper 0 of each cluster also buys.
 * Kitchen is slightly more popular overall (one extra shopper).
 */
export function clusterData(): TrainingData {
  const interactions: Interaction[] = [];
  const add = (cluster: readonly string[], prefix: string, shoppers: number): void => {
    for (let s = 0; s < shoppers; s++) {
      for (let n = 0; n < 4; n++) {
        const itemId = cluster[(s + n) % cluster.length] as string;
        interactions.push({
          userId: `${prefix}-${s}`,
          itemId,
          timestamp: 1_700_000_000 + s * 100 + n,
          eventType: 'view',
        });
      }
      if (s === 0) {
        interactions.push({
          userId: `${prefix}-0`,
          itemId: cluster[0] as string,
          timestamp: 1_700_000_050,
          eventType: 'purchase',
        });
      }
    }
  };
  add(GARDEN, 'gardener', 10);
  add(KITCHEN, 'cook', 11);
  return { interactions, catalogue: CLUSTER_CATALOGUE };
}

/**
 * Shoppers choose items by softmax over hidden 8-dimensional tastes plus a popularity slope;
 * the last choice of each shopper is held out for a leave-one-out test.
 */
export function latentData(
  users: number,
  items: number,
  perUser: number,
  seed = 7,
): { data: TrainingData; heldOut: { userId: string; itemId: string }[] } {
  const random = mulberry32(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const dims = 8;
  const tastes = Array.from({ length: users }, () => Array.from({ length: dims }, gaussian));
  const traits = Array.from({ length: items }, () => Array.from({ length: dims }, gaussian));
  const interactions: Interaction[] = [];
  const heldOut: { userId: string; itemId: string }[] = [];
  for (let u = 0; u < users; u++) {
    const taste = tastes[u] as number[];
    const logits = traits.map(
      (t, i) => t.reduce((sum, x, f) => sum + x * (taste[f] as number), 0) - 0.3 * Math.log(1 + i),
    );
    const max = Math.max(...logits);
    const weights = logits.map((l) => Math.exp(l - max));
    const total = weights.reduce((a, b) => a + b, 0);
    const chosen: number[] = [];
    while (chosen.length < perUser) {
      let r = random() * total;
      let i = 0;
      for (; i < items - 1; i++) {
        r -= weights[i] as number;
        if (r <= 0) break;
      }
      if (!chosen.includes(i)) chosen.push(i);
    }
    chosen.forEach((i, n) => {
      if (n === chosen.length - 1) heldOut.push({ userId: `u${u}`, itemId: `i${i}` });
      else interactions.push({ userId: `u${u}`, itemId: `i${i}`, timestamp: 1_700_000_000 + n, eventType: 'view' });
    });
  }
  return { data: { interactions, catalogue: [] }, heldOut };
}
