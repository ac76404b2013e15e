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
  private readonly context: ListContext;

  constructor(deps: ServingDeps) {
    this.context = {
      deps,
      boards: new PopularityBoards(deps.features, deps.clock, deps.model ? serving.boardMemoMs : 0),
      lastGoodTrending: deps.lastGoodTrending ?? new LastGoodTrending(),
      liveCatalogue: new LiveCatalogue(deps.features, deps.clock),
    };
  }

  /** `GET /v1/users/{userId}/recommendations`; `scope`: whose profiles the caller may read. */
  forShopper(userId: string, options: ListOptions, scope: ShopperScope = 'any'): Promise<Served> {
    return shopperRecommendations(this.context, { id: userId, scope }, options);
  }

  /** `GET /v1/items/{itemId}/similar` */
  similarTo(itemId: string, options: ListOptions): Promise<Served> {
    return similarItems(this.context, itemId, options);
  }

  /** `POST /v1/rankings`; `scope`: whose profiles the caller may read. */
  rank(request: RankingRequest, scope: ShopperScope = 'any'): Promise<Served> {
    return rankings(this.context, request, scope);
  }

  /** `GET /v1/trending` */
  trending(window: TrendingWindow, options: ListOptions): Promise<Served> {
    return trending(this.context, window, options);
  }
}
