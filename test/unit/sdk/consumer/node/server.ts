// A shop's Node server: the storefront client per request and the server API for user tokens.
import { createRecoClient, memoryStorage } from '@reco-stack/sdk';
import { createServerApi, RecoServerApiError, type UserToken } from '@reco-stack/sdk/server';

const serverApi = createServerApi({
  url: 'http://localhost:3000',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local-dev-secret' },
});

export async function page(userId: string): Promise<string[]> {
  let token: UserToken;
  try {
    token = await serverApi.mintUserToken(userId, { ttlSeconds: 600 });
  } catch (error) {
    if (error instanceof RecoServerApiError) return [error.reason];
    throw error;
  }
  const reco = createRecoClient({
    endpoint: 'http://localhost:3000',
    apiKey: 'storefront-key',
    storage: memoryStorage(),
    userToken: token.token,
  });
  reco.identify(userId, { userToken: token.token });
  const list = await reco.recommendations({ count: 3 });
  await reco.close();
  return list.items.map((item) => item.itemId);
}
