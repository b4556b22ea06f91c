import { MigrationInterface, QueryRunner } from 'typeorm';

export class CounterFlushes1764250000000 implements MigrationInterface {
  name = 'CounterFlushes1764250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Ids of view batches already added to products.views: a retried batch is applied once.
    await queryRunner.query(`
      CREATE TABLE \`counter_flushes\` (
        \`id\` varchar(64) NOT NULL,
        \`applied_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (\`id\`)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `counter_flushes`');
  }
}
