import { RecentlyViewed } from './recently-viewed';
import { Module } from '@nestjs/common';
import { StatsService } from './stats.service';
import { ViewsWriteBehind } from './views-write-behind';
import { StatsController } from './stats.controller';

/** Counters and rankings; fed by calls from the catalogue (and orders), importing none of them. */
@Module({
  controllers: [StatsController],
  providers: [StatsService, ViewsWriteBehind, RecentlyViewed],
  exports: [StatsService, ViewsWriteBehind, RecentlyViewed],
})
export class StatsModule {}
