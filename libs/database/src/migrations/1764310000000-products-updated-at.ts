import { MigrationInterface, QueryRunner } from 'typeorm';

export class ProductsUpdatedAt1764310000000 implements MigrationInterface {
  name = 'ProductsUpdatedAt1764310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Every stock change (reservation, release, sale, adjustment) moves updated_at, and view counts
    // keep it: each API instance asks once a second which rows changed (catalog's AvailabilityBoard).
    await queryRunner.query('CREATE INDEX `IDX_products_updated_at` ON `products` (`updated_at`)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `IDX_products_updated_at` ON `products`');
  }
}
