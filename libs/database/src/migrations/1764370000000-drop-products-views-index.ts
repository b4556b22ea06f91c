import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `views` changes for every product viewed, every write-behind round, and its index was maintained
 * on each of those updates (about a third of a round's time in MariaDB) while the one query that
 * orders by views (the popular list's fallback: `views DESC, id ASC`, cached a minute while Redis is up)
 * could not use it: an ascending index does not serve a mixed-direction ORDER BY (a filesort on
 * MySQL 8 and MariaDB alike).
 */
export class DropProductsViewsIndex1764370000000 implements MigrationInterface {
  name = 'DropProductsViewsIndex1764370000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `IDX_products_views` ON `products`');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX `IDX_products_views` ON `products` (`views`)');
  }
}
