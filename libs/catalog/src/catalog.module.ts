import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UnitOfWork } from '@stockroom/database';
import { StatsCoreModule } from '@stockroom/stats';
import { Product } from './product.entity';
import { ProductRepository } from './product.repository';
import { ProductService } from './product.service';
import { ProductsController } from './products.controller';
import { CatalogSeeder } from './catalog-seeder';
import { AvailabilityBoard } from './availability-board';
import { ProductStock } from './product-stock';
import { ProductViews } from './product-views';

/** The catalogue without HTTP: storage, the cache-aside reads, the sample seeder (the worker and the CLI need no more). */
@Module({
  imports: [TypeOrmModule.forFeature([Product]), StatsCoreModule],
  providers: [ProductRepository, ProductService, CatalogSeeder, UnitOfWork, ProductStock, ProductViews],
  exports: [ProductService, ProductRepository, CatalogSeeder, ProductStock],
})
export class CatalogCoreModule {}

/** The `/products` routes, and the availability board their answers carry. */
@Module({
  imports: [CatalogCoreModule, StatsCoreModule],
  controllers: [ProductsController],
  providers: [AvailabilityBoard],
  exports: [CatalogCoreModule],
})
export class CatalogModule {}
