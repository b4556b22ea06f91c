import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '@stockroom/core';
import { NeverThrottle } from '@stockroom/rate-limit';
import { RedisHealthIndicator } from '@stockroom/redis';

@ApiTags('health')
@NeverThrottle()
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({
    operationId: 'checkLiveness',
    summary: 'Liveness: the process answers (no dependency is checked)',
    description:
      'The process answers; no dependency is checked (use it for restarts).',
  })
  @ApiOkResponse({ schema: { example: { status: 'ok', info: {}, error: {}, details: {} } } })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'checkReadiness',
    summary: 'Readiness: MySQL and Redis answer',
    description:
      'MySQL and Redis answer within their deadlines; 503 names the one that does not (use it for routing).',
  })
  @ApiOkResponse({
    schema: { example: { status: 'ok', info: { mysql: { status: 'up' }, redis: { status: 'up', latencyMs: 1 } } } },
  })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; `details` names it' })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.db.pingCheck('mysql', { timeout: 1_000 }),
      () => this.redis.pingCheck('redis'),
    ]);
  }
}
