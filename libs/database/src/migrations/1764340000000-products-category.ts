import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalogue's column for the category a product is in. No foreign key: `categories` belongs to
 * another lib, which checks the id on every product write and refuses to delete a category in use
 * (both under row locks: see ProductCategories).
 */
export class ProductsCategory1764340000000 implements MigrationInterface {
  name = 'ProductsCategory1764340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `products` ADD `category_id` int NULL, ADD INDEX `IDX_products_category` (`category_id`)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `products` DROP INDEX `IDX_products_category`, DROP COLUMN `category_id`');
  }
}
