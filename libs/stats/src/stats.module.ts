import { Module } from '@nestjs/common';
import { UnitOfWork } from '@stockroom/database';
import { RecentlyViewed } from './recently-viewed';
import { StatsService } from './stats.service';
import { ViewsWriteBehind } from './views-write-behind';
import { ViewsRanking } from './views-ranking';
import { StatsController } from './stats.controller';

/** Counters, rankings and the views write-behind; fed by calls from the catalogue (and orders), importing none of them. */
@Module({
  providers: [StatsService, ViewsWriteBehind, ViewsRanking, RecentlyViewed, UnitOfWork],
  exports: [StatsService, ViewsWriteBehind, ViewsRanking, RecentlyViewed],
})
export class StatsCoreModule {}

/** `/stats`: cache statistics and rankings, for staff. */
@Module({
  imports: [StatsCoreModule],
  controllers: [StatsController],
  exports: [StatsCoreModule],
})
export class StatsModule {}
