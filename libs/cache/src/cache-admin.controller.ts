import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrors, DomainError, Roles, STAFF_ROLES, ValidationFailedError } from '@stockroom/core';
import { CacheStatsService, CacheStatsView } from './cache-stats.service';
import { RedisCacheService } from './redis-cache.service';

class CacheNamespaceNotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'CACHE_NAMESPACE_NOT_FOUND';
}

class NamespacesResponse {
  @ApiProperty({ example: ['product', 'product-list'] })
  namespaces!: string[];
}

@ApiTags('cache')
@Roles(...STAFF_ROLES)
@Controller()
export class CacheAdminController {
  constructor(
    private readonly cache: RedisCacheService,
    private readonly stats: CacheStatsService,
  ) {}

  @Get('stats/cache')
  @ApiOperation({
    operationId: 'getCacheStats',
    summary: 'Cache hit rate, L1 and coalescing counters, Redis memory and uptime',
    description:
      'Hits, L1 hits, misses, hit rate, stale answers, coalesced loads, loads, refused stale sets, Redis fallbacks and outages, L1 size, and Redis memory.',
  })
  @ApiOkResponse({ type: CacheStatsView })
  statsView(): Promise<CacheStatsView> {
    return this.stats.view();
  }

  @Get('cache/namespaces')
  @ApiOperation({
    operationId: 'listCacheNamespaces',
    summary: 'The cache namespaces that can be invalidated',
    description:
      'The cache namespaces that can be invalidated by name.',
  })
  @ApiOkResponse({ type: NamespacesResponse })
  namespaces(): NamespacesResponse {
    return { namespaces: this.cache.definedNamespaces() };
  }

  @Delete('cache/namespaces/:namespace')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'invalidateCacheNamespace',
    summary: 'Invalidate a whole namespace in O(1) (a generation bump; nothing is scanned)',
    description:
      'Retires every entry of a namespace at once by bumping its generation; nothing is scanned.',
  })
  @ApiParam({ name: 'namespace', example: 'product-list' })
  @ApiNoContentResponse({ description: 'Invalidated on every instance' })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['CACHE_NAMESPACE_NOT_FOUND'] })
  async invalidate(@Param('namespace') namespace: string): Promise<void> {
    // Only declared names reach Redis: user input can never name another area or a pattern.
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(namespace)) {
      throw new ValidationFailedError([{ field: 'namespace', problems: ['namespace must be lowercase letters, digits and "-"'] }]);
    }
    if (!this.cache.definedNamespaces().includes(namespace)) {
      throw new CacheNamespaceNotFoundError(`No cache namespace ${namespace}`, { namespaces: this.cache.definedNamespaces() });
    }
    await this.cache.invalidateNamespace(namespace);
  }
}
