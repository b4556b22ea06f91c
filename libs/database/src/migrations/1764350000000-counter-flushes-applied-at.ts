import { MigrationInterface, QueryRunner } from 'typeorm';

/** The write-behind deletes flush records by age (oldest first, in small batches): this index finds them without a scan. */
export class CounterFlushesAppliedAt1764350000000 implements MigrationInterface {
  name = 'CounterFlushesAppliedAt1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `counter_flushes` ADD INDEX `IDX_counter_flushes_applied_at` (`applied_at`)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `counter_flushes` DROP INDEX `IDX_counter_flushes_applied_at`');
  }
}
