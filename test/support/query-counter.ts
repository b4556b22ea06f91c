import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Counts the SQL statements an app sends to MySQL, as the database sees them (TypeORM's query log hook). */
export class QueryCounter {
  readonly queries: string[] = [];

  static attach(...apps: INestApplication[]): QueryCounter {
    const counter = new QueryCounter();
    for (const app of apps) {
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const logger = dataSource.logger;
      const original = logger.logQuery.bind(logger);
      logger.logQuery = (query, parameters, runner) => {
        counter.queries.push(query);
        return original(query, parameters, runner);
      };
    }
    return counter;
  }

  count(pattern: RegExp): number {
    return this.queries.filter((query) => pattern.test(query)).length;
  }

  reset(): void {
    this.queries.length = 0;
  }
}
