/**
 * What the page gets from outside its own code: the SDK's browser bundle (`reco.iife.js`, global `Reco`, loaded by its
 * own `<script>` tag as a shop would) and the config the shop's backend writes into the page.
 */
import type { RecoApiError, RecoClient, RecoClientOptions } from '../../../sdk/index.ts';

export type { RecoClient, RecoList } from '../../../sdk/index.ts';

interface RecoGlobal {
  createRecoClient(options: RecoClientOptions): RecoClient;
  RecoApiError: typeof RecoApiError;
}

declare global {
  interface Window {
    Reco?: RecoGlobal;
  }
}

export interface ShopConfig {
  /** Base URL of the storefront API; null: this page's origin. */
  readonly endpoint: string;
  readonly apiKey: string;
}

export function readConfig(): ShopConfig {
  const raw = JSON.parse(document.getElementById('shop-config')?.textContent ?? '{}') as {
    endpoint?: string | null;
    apiKey?: string;
  };
  return { endpoint: raw.endpoint ?? location.origin, apiKey: raw.apiKey ?? '' };
}

export function recoGlobal(): RecoGlobal {
  if (window.Reco === undefined) throw new Error('the SDK bundle (reco.iife.js) did not load');
  return window.Reco;
}
