import { MigrationInterface, QueryRunner } from 'typeorm';

export class Payments1764280000000 implements MigrationInterface {
  name = 'Payments1764280000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The simulated payment provider's book: at most one charge and one refund per order (the
    // order id is the provider's idempotency key, as a real provider is called).
    await queryRunner.query(`
      CREATE TABLE \`simulated_payments\` (
        \`order_id\` int NOT NULL,
        \`kind\` varchar(8) NOT NULL,
        \`amount\` decimal(18,2) NOT NULL,
        \`reason\` varchar(200) NULL,
        \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (\`order_id\`, \`kind\`),
        CONSTRAINT \`CHK_simulated_payments_kind\` CHECK (\`kind\` IN ('charge', 'refund'))
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `simulated_payments`');
  }
}
