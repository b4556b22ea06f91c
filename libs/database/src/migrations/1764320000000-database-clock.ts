import { MigrationInterface, QueryRunner } from 'typeorm';

export class DatabaseClock1764320000000 implements MigrationInterface {
  name = 'DatabaseClock1764320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A counter every running instance moves forward (at boot, every minute, at shutdown): a
    // backup restored later carries the value it had then, behind what Redis last saw.
    await queryRunner.query('ALTER TABLE `stockroom_epoch` ADD COLUMN `ticks` bigint NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `stockroom_epoch` DROP COLUMN `ticks`');
  }
}
