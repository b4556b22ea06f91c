import { Inject, Injectable } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsRegistry } from '@stockroom/core';

interface Mysql2Pool {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

/** MySQL pool state at scrape time: open, idle, and requests waiting for a connection (read from mysql2's pool; replicas when configured). */
@Injectable()
export class PoolMetrics {
  constructor(@Inject(getDataSourceToken()) dataSource: DataSource, registry: MetricsRegistry) {
    new Gauge({
      name: 'stockroom_mysql_pool_connections',
      help: 'MySQL pool connections by pool (primary, replica-N) and state (open, idle, waiting)',
      labelNames: ['pool', 'state'],
      registers: [registry],
      collect() {
        const driver = dataSource.driver as unknown as { pool?: Mysql2Pool; poolCluster?: { _nodes?: Record<string, { pool: Mysql2Pool }> } };
        const pools: Array<[string, Mysql2Pool | undefined]> = driver.poolCluster?._nodes
          ? Object.entries(driver.poolCluster._nodes).map(([name, node]) => [name.toLowerCase(), node.pool])
          : [['primary', driver.pool]];
        for (const [pool, state] of pools) {
          this.set({ pool, state: 'open' }, state?._allConnections?.length ?? 0);
          this.set({ pool, state: 'idle' }, state?._freeConnections?.length ?? 0);
          this.set({ pool, state: 'waiting' }, state?._connectionQueue?.length ?? 0);
        }
      },
    });
  }
}
