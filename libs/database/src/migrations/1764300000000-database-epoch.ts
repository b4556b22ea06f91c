import { MigrationInterface, QueryRunner } from 'typeorm';

export class DatabaseEpoch1764300000000 implements MigrationInterface {
  name = 'DatabaseEpoch1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A random id per database, made when it is created: what Redis holds is tagged with it, so a
    // recreated database never reads the entries, sessions or queue of the one before.
    await queryRunner.query(`
      CREATE TABLE \`stockroom_epoch\` (
        \`id\` tinyint NOT NULL,
        \`epoch\` char(32) NOT NULL,
        \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (\`id\`),
        CONSTRAINT \`CHK_stockroom_epoch_one_row\` CHECK (\`id\` = 1)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
    `);
    await queryRunner.query("INSERT INTO `stockroom_epoch` (`id`, `epoch`) VALUES (1, REPLACE(UUID(), '-', ''))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `stockroom_epoch`');
  }
}
