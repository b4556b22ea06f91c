import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isDeadlockError } from './mysql-errors';

/** What a multi-row INSERT needs to know the rows it wrote without reading them back (read in its transaction, e.g. by ProductStock.lockForReservation). */
export interface InsertStamp {
  /** The database's clock (rows stamped with it read back equal). */
  now: Date;
  /**
   * The gap between the ids one INSERT … VALUES (…), (…) gets: InnoDB gives a "simple insert"
   * consecutive values in every lock mode, spaced by auto_increment_increment (not 1 on a
   * multi-primary cluster), so row i's id is insertId + i × step.
   */
  idStep: number;
}

/** A deadlock victim's transaction is run this many times in all before its error stands. */
export const DEADLOCK_ATTEMPTS = 5;

/** The transaction open in this async context, wherever it was opened. */
const open = new AsyncLocalStorage<EntityManager>();

/**
 * Ambient transactions: a service opens a unit of work with `run`, and every repository call made
 * inside it (in any module, however deep) joins it through `manager`, without a parameter. A `run`
 * inside another joins the outer transaction (all or nothing together). Outside one, `manager` is
 * the data source's own (each statement commits by itself). Services see no TypeORM type.
 *
 * A transaction InnoDB picks as a deadlock victim has been rolled back whole, and is run again (as
 * MySQL's manual asks of every client): so the work given to `run` only touches the database,
 * and a deadlock reaches the caller only after `DEADLOCK_ATTEMPTS` (then as a 503, see core).
 */
@Injectable()
export class UnitOfWork {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction (or in the one already open), committing when it resolves. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current()) return work();
    return this.outermost(work);
  }

  private async outermost<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction((manager) => open.run(manager, work));
      } catch (error) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlockError(error)) throw error;
        // A few ms, jittered, so the survivor commits before the victim takes its locks again.
        await new Promise((resolve) => setTimeout(resolve, attempt * (5 + Math.random() * 20)));
      }
    }
  }

  /** Whether a unit of work of this data source is open here. */
  get active(): boolean {
    return this.current() !== undefined;
  }

  /** What a repository's statements go through: the open transaction, or the data source. */
  get manager(): EntityManager {
    return this.current() ?? this.dataSource.manager;
  }

  /** Another app's data source in the same process (tests boot several) never joins this one's transaction. */
  private current(): EntityManager | undefined {
    const manager = open.getStore();
    return manager && manager.connection === this.dataSource ? manager : undefined;
  }
}
