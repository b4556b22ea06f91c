import { RedisKeys } from '@stockroom/redis';

export type RankingMetric = 'views' | 'sales' | 'searches';

/**
 * A member of the views ranking, scored +inf, that says the ranking holds every product's views:
 * it lives and dies with the key, so a ranking Redis lost (and ZINCRBY began again) lacks it.
 */
export const VIEWS_RANKING_COMPLETE = '_complete';

/** All counter keys share one hash tag, so a pipeline or script may touch several on a cluster. */
export function statsKeys(keys: RedisKeys) {
  const key = (...suffix: string[]) => keys.tagged('stats', 'counters', ...suffix);
  return {
    pendingViews: key('views', 'pending'),
    inflightViews: key('views', 'inflight'),
    ranking: (metric: RankingMetric) => key('rank', metric),
  };
}
