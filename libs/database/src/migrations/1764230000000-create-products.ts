import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProducts1764230000000 implements MigrationInterface {
  name = 'CreateProducts1764230000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // CHECK constraints make a negative stock or price impossible whatever code runs the UPDATE.
    await queryRunner.query(`
      CREATE TABLE \`products\` (
        \`id\` int NOT NULL AUTO_INCREMENT,
        \`sku\` varchar(64) NOT NULL,
        \`name\` varchar(200) NOT NULL,
        \`description\` text NOT NULL,
        \`price\` decimal(12,2) NOT NULL,
        \`stock\` int NOT NULL DEFAULT 0,
        \`views\` bigint NOT NULL DEFAULT 0,
        \`version\` int NOT NULL DEFAULT 1,
        \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        PRIMARY KEY (\`id\`),
        UNIQUE INDEX \`UQ_products_sku\` (\`sku\`),
        INDEX \`IDX_products_views\` (\`views\`),
        CONSTRAINT \`CHK_products_stock\` CHECK (\`stock\` >= 0),
        CONSTRAINT \`CHK_products_price\` CHECK (\`price\` >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `products`');
  }
}
