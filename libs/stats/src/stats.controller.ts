import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ApiErrors, LimitQuery, Roles, STAFF_ROLES } from '@stockroom/core';
import { StatsService } from './stats.service';
import type { RankingMetric } from './stats.keys';

class TopQuery extends LimitQuery {
  @ApiPropertyOptional({ enum: ['views', 'sales', 'searches'], enumName: 'RankingMetric', default: 'views' })
  @IsIn(['views', 'sales', 'searches'])
  metric: RankingMetric = 'views';
}

class RankingEntryResponse {
  @ApiProperty({ example: '42', description: 'A product id (views, sales) or a normalised search term (searches)' })
  member!: string;
  @ApiProperty({ example: 1234 })
  score!: number;
}

class TopResponse {
  @ApiProperty({ enum: ['views', 'sales', 'searches'], enumName: 'RankingMetric' })
  metric!: RankingMetric;
  @ApiProperty({ type: [RankingEntryResponse] })
  items!: RankingEntryResponse[];
}

@ApiTags('stats')
@Roles(...STAFF_ROLES)
@Controller('stats/products')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('top')
  @ApiOperation({
    operationId: 'getRanking',
    summary: 'Rankings by views, sales or search term, from the Redis sorted sets',
    description:
      'A ranking from the Redis sorted sets: products by views or sales, or search terms. 503 RANKINGS_UNAVAILABLE when Redis does not answer, or while the views ranking is rebuilt from MySQL after Redis lost it.',
  })
  @ApiOkResponse({ type: TopResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 503: ['RANKINGS_UNAVAILABLE'] })
  async top(@Query() query: TopQuery): Promise<TopResponse> {
    return { metric: query.metric, items: await this.stats.top(query.metric, query.limit) };
  }
}
