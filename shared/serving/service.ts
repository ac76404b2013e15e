import { serving } from '../config/index.ts';
import { PopularityBoards } from './boards.ts';
import { LastGoodTrending } from './lastGoodTrending.ts';
import type { ListOptions, RankingRequest, TrendingWindow } from './params.ts';
import { rankings } from './rankings.ts';
import type { ListContext, ServingDeps } from './serveList.ts';
import type { Served } from './served.ts';
import { ShopperLookup } from './shoppers.ts';
import { shopperRecommendations } from './shopperRecommendations.ts';
import { similarItems } from './similarItems.ts';
import { trending } from './trending.ts';

export type { ServingDeps } from './serveList.ts';
export type { Served, ServedItem, ServedList } from './served.ts';

/**
 * The recommendation API's four lists over one set of dependencies. Built once per execution
 * environment: the profile reuse, the boards and the last good trending list live as long as it.
 */
export class ServingService {
  private readonly context: ListContext;

  constructor(deps: ServingDeps) {
    this.context = {
      deps,
      shoppers: new ShopperLookup(deps.features, deps.profileMemoMs ?? serving.profileMemoMs),
      boards: new PopularityBoards(deps.features, deps.clock, deps.model ? serving.boardMemoMs : 0),
      lastGoodTrending: deps.lastGoodTrending ?? new LastGoodTrending(),
    };
  }

  /** `GET /v1/users/{userId}/recommendations` */
  forShopper(userId: string, options: ListOptions): Promise<Served> {
    return shopperRecommendations(this.context, userId, options);
  }

  /** `GET /v1/items/{itemId}/similar` */
  similarTo(itemId: string, options: ListOptions): Promise<Served> {
    return similarItems(this.context, itemId, options);
  }

  /** `POST /v1/rankings` */
  rank(request: RankingRequest): Promise<Served> {
    return rankings(this.context, request);
  }

  /** `GET /v1/trending` */
  trending(window: TrendingWindow, options: ListOptions): Promise<Served> {
    return trending(this.context, window, options);
  }
}
