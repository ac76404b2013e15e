/** The SDK client of the page, its consent and the signed-in shopper. */
import { backend, type Session } from './backend.ts';
import { recoGlobal, type RecoClient, type ShopConfig } from './env.ts';
import { consentChoice, recentlyViewed } from './store.ts';

/**
 * Creates the page's client. The shopper's earlier choice decides consent: granted, refused (opted out again, which
 * clears anything an older page stored), or not made yet (`'pending'`: events are held in memory until they choose).
 */
export function createClient(config: ShopConfig, session: Session): RecoClient {
  const choice = consentChoice.get();
  const reco = recoGlobal().createRecoClient({
    endpoint: config.endpoint,
    apiKey: config.apiKey,
    consent: choice === 'granted' ? 'granted' : 'pending',
    // A rail that has not come in 4 s is not worth waiting for; unanswered events are sent again, with the same ids.
    timeoutMs: 4_000,
    ...(session.token === undefined ? {} : { userToken: session.token }),
    // The session's shopper gets a fresh token from the shop's backend, which mints it for its own session only.
    onTokenExpired: async () => {
      const fresh = await backend.session();
      if (fresh.token === undefined) throw new Error('signed out');
      return fresh.token;
    },
  });
  if (choice === 'refused') reco.optOut();
  useSession(reco, session);
  reco.flushOnExit();
  return reco;
}

/** Makes the client's shopper the session's: identified with its token, or a new anonymous shopper. */
export function useSession(reco: RecoClient, session: Session): void {
  if (session.userId !== null && session.token !== undefined) {
    reco.identify(session.userId, { userToken: session.token });
  } else if (reco.userId !== undefined) {
    reco.reset();
  }
}

export function grant(reco: RecoClient): void {
  consentChoice.set('granted');
  reco.grantConsent();
}

export function refuse(reco: RecoClient): void {
  consentChoice.set('refused');
  recentlyViewed.clear();
  reco.optOut();
}
