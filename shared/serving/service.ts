import type { ShopperScope } from '../auth/caller.ts';
import { serving } from '../config/index.ts';
import { PopularityBoards } from './boards.ts';
import { LastGoodTrending } from './lastGoodTrending.ts';
import { LiveCatalogue } from './liveCatalogue.ts';
import type { ListOptions, RankingRequest, TrendingWindow } from './params.ts';
import { rankings } from './rankings.ts';
import type { ListContext, ServingDeps } from './serveList.ts';
import type { Served } from './served.ts';
import { shopperRecommendations } from './shopperRecommendations.ts';
import { similarItems } from './similarItems.ts';
import { trending } from './trending.ts';

export type { ServingDeps } from './serveList.ts';
export type { Served, ServedItem, ServedList } from './served.ts';

/**
 * The recommendation API's four lists over one set of dependencies. Built once per execution
 * environment: the boards and the last good trending list live as long as it. Profiles are read
 * on every request, so an event or an erasure counts from the next one.
 */
export class ServingService {
  private readonly base: ListContext;
  private live: { readonly version: string | undefined; readonly context: ListContext } | undefined;

  constructor(deps: ServingDeps) {
    this.base = {
      deps,
      boards: new PopularityBoards(deps.features, deps.clock, deps.model ? serving.boardMemoMs : 0),
      lastGoodTrending: deps.lastGoodTrending ?? new LastGoodTrending(),
      liveCatalogue: new LiveCatalogue(deps.features, deps.clock),
    };
  }

  /** `GET /v1/users/{userId}/recommendations`; `scope`: whose profiles the caller may read. */
  async forShopper(userId: string, options: ListOptions, scope: ShopperScope = 'any'): Promise<Served> {
    return shopperRecommendations(await this.context(), { id: userId, scope }, options);
  }

  /** `GET /v1/items/{itemId}/similar` */
  async similarTo(itemId: string, options: ListOptions): Promise<Served> {
    return similarItems(await this.context(), itemId, options);
  }

  /** `POST /v1/rankings`; `scope`: whose profiles the caller may read. */
  async rank(request: RankingRequest, scope: ShopperScope = 'any'): Promise<Served> {
    return rankings(await this.context(), request, scope);
  }

  /** `GET /v1/trending` */
  async trending(window: TrendingWindow, options: ListOptions): Promise<Served> {
    return trending(await this.context(), window, options);
  }

  /**
   * The lists' context for the live model as the registry names it: no model before the first
   * one is live, the live version in the cache keys after. One context per version, reused.
   */
  async context(): Promise<ListContext> {
    const { deps } = this.base;
    if (deps.liveModel === undefined || deps.model === undefined) return this.base;
    const state = await deps.liveModel.current();
    if (state.kind === 'unknown') return this.base;
    const version = state.kind === 'live' ? state.version : undefined;
    if (this.live?.version !== version || this.live === undefined) {
      const { model: _model, ...withoutModel } = deps;
      this.live =
        version === undefined
          ? // Popularity is then the ranking itself: its boards are read fresh, as with no endpoint at all.
            {
              version,
              context: { ...this.base, deps: withoutModel, boards: new PopularityBoards(deps.features, deps.clock, 0) },
            }
          : { version, context: { ...this.base, deps: { ...deps, liveVersion: version } } };
    }
    return this.live.context;
  }
}
