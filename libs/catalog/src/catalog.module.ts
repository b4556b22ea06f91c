import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StatsModule } from '@stockroom/stats';
import { Product } from './product.entity';
import { ProductRepository } from './product.repository';
import { ProductService } from './product.service';
import { ProductsController } from './products.controller';
import { CatalogSeeder } from './catalog-seeder';

@Module({
  imports: [TypeOrmModule.forFeature([Product]), StatsModule],
  controllers: [ProductsController],
  providers: [ProductRepository, ProductService, CatalogSeeder],
  exports: [ProductService, ProductRepository, CatalogSeeder],
})
export class CatalogModule {}
