/** `'pending'`: events are held in memory, nothing is stored or sent; `'denied'`: nothing is tracked at all. */
export type ConsentState = 'granted' | 'pending' | 'denied';

/** The browser's Global Privacy Control signal (`navigator.globalPrivacyControl`), a standing opt-out. */
export const globalPrivacyControl = (): boolean =>
  (globalThis as { navigator?: { globalPrivacyControl?: unknown } }).navigator?.globalPrivacyControl === true;
