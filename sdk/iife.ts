/**
 * The browser bundle's entry (`dist/reco.iife.js`): one global, `Reco`, holding what `index.ts` exports that exists at
 * run time. A plain object rather than esbuild's `globalName` namespace, whose interop helpers cost bytes.
 */
import { createRecoClient } from './client.ts';
import { RecoApiError, RecoNetworkError, RecoValidationError } from './errors.ts';
import { memoryStorage } from './storage.ts';

(globalThis as { Reco?: unknown }).Reco = {
  createRecoClient,
  RecoApiError,
  RecoNetworkError,
  RecoValidationError,
  memoryStorage,
};
