import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A view batch is applied up to 1,000 products per transaction: its record keeps the last
 * product id applied. NULL (every record before this) means the whole batch, in one transaction.
 */
export class CounterFlushesProgress1764360000000 implements MigrationInterface {
  name = 'CounterFlushesProgress1764360000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `counter_flushes` ADD `applied_through` int NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `counter_flushes` DROP COLUMN `applied_through`');
  }
}
