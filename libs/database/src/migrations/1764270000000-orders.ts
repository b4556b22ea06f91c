import { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1764270000000 implements MigrationInterface {
  name = 'Orders1764270000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // queued_at NULL = not yet handed to the queue: the sweeper's outbox.
    await queryRunner.query(`
      CREATE TABLE \`orders\` (
        \`id\` int NOT NULL AUTO_INCREMENT,
        \`user_id\` int NOT NULL,
        \`status\` varchar(16) NOT NULL,
        \`total\` decimal(18,2) NOT NULL,
        \`idempotency_key\` varchar(100) NULL,
        \`failure_reason\` varchar(200) NULL,
        \`queued_at\` datetime(3) NULL,
        \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        PRIMARY KEY (\`id\`),
        UNIQUE INDEX \`UQ_orders_idempotency\` (\`user_id\`, \`idempotency_key\`),
        INDEX \`IDX_orders_user\` (\`user_id\`, \`id\`),
        INDEX \`IDX_orders_status\` (\`status\`, \`created_at\`),
        CONSTRAINT \`CHK_orders_total\` CHECK (\`total\` >= 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
    await queryRunner.query(`
      CREATE TABLE \`order_lines\` (
        \`order_id\` int NOT NULL,
        \`line_no\` smallint NOT NULL,
        \`product_id\` int NOT NULL,
        \`quantity\` int NOT NULL,
        \`unit_price\` decimal(12,2) NOT NULL,
        PRIMARY KEY (\`order_id\`, \`line_no\`),
        CONSTRAINT \`FK_order_lines_order\` FOREIGN KEY (\`order_id\`) REFERENCES \`orders\` (\`id\`) ON DELETE CASCADE,
        CONSTRAINT \`CHK_order_lines_quantity\` CHECK (\`quantity\` > 0)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `order_lines`');
    await queryRunner.query('DROP TABLE `orders`');
  }
}
