// A shop's page using the package as a bundler resolves it: every public call, typed as a shop writes it.
import {
  createRecoClient,
  RecoApiError,
  RecoNetworkError,
  RecoValidationError,
  type DeliveryNotice,
  type RecoList,
} from '@reco-stack/sdk';

const reco = createRecoClient({
  endpoint: 'https://api.example.com',
  apiKey: 'storefront-key',
  consent: 'pending',
  timeoutMs: 5_000,
  onError: (error: Error, notice: DeliveryNotice) => console.warn(notice.kind, error.message),
});
reco.flushOnExit();
const pageView: string | undefined = reco.page({ properties: { campaign: undefined, ab: 'b' } });
reco.track.view('sku-1');
reco.grantConsent();

export async function rail(): Promise<readonly string[]> {
  try {
    const list: RecoList = await reco.recommendations({ count: 4 });
    const ids: string[] = reco.impressions(
      list.recommendationId,
      list.items.map((item) => item.itemId),
    );
    return ids;
  } catch (error) {
    if (error instanceof RecoApiError) return [error.reason, String(error.status)];
    if (error instanceof RecoNetworkError) return [error.reason];
    if (error instanceof RecoValidationError) return [error.field];
    return [];
  }
}

export const state = { pageView, consent: reco.consent, pending: reco.pendingEvents };
