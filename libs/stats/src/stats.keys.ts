import { RedisKeys } from '@stockroom/redis';

export type RankingMetric = 'views' | 'sales' | 'searches';

/** All counter keys share one hash tag, so a pipeline or script may touch several on a cluster. */
export function statsKeys(keys: RedisKeys) {
  const key = (...suffix: string[]) => keys.tagged('stats', 'counters', ...suffix);
  return {
    pendingViews: key('views', 'pending'),
    inflightViews: key('views', 'inflight'),
    ranking: (metric: RankingMetric) => key('rank', metric),
  };
}
