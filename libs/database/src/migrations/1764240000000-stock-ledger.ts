import { MigrationInterface, QueryRunner } from 'typeorm';

export class StockLedger1764240000000 implements MigrationInterface {
  name = 'StockLedger1764240000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // reserved: units promised to pending orders; fence: the newest lock fencing token applied.
    await queryRunner.query(`
      ALTER TABLE \`products\`
        ADD \`reserved\` int NOT NULL DEFAULT 0,
        ADD \`fence\` bigint NOT NULL DEFAULT 0,
        ADD CONSTRAINT \`CHK_products_reserved\` CHECK (\`reserved\` >= 0 AND \`reserved\` <= \`stock\`)
    `);
    await queryRunner.query(`
      CREATE TABLE \`stock_movements\` (
        \`id\` bigint NOT NULL AUTO_INCREMENT,
        \`product_id\` int NOT NULL,
        \`type\` varchar(16) NOT NULL,
        \`stock_delta\` int NOT NULL,
        \`reserved_delta\` int NOT NULL,
        \`reason\` varchar(200) NOT NULL DEFAULT '',
        \`reference\` varchar(100) NULL,
        \`actor\` varchar(100) NULL,
        \`fencing_token\` bigint NULL,
        \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (\`id\`),
        INDEX \`IDX_stock_movements_product\` (\`product_id\`, \`id\`),
        UNIQUE INDEX \`UQ_stock_movements_reference\` (\`reference\`, \`product_id\`, \`type\`)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
    // The ledger starts with what is on hand, so it always sums to the rows.
    await queryRunner.query(`
      INSERT INTO \`stock_movements\` (\`product_id\`, \`type\`, \`stock_delta\`, \`reserved_delta\`, \`reason\`)
      SELECT \`id\`, 'adjustment', \`stock\`, 0, 'initial stock' FROM \`products\` WHERE \`stock\` <> 0
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `stock_movements`');
    await queryRunner.query('ALTER TABLE `products` DROP CONSTRAINT `CHK_products_reserved`, DROP COLUMN `fence`, DROP COLUMN `reserved`');
  }
}
