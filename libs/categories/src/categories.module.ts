import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UnitOfWork } from '@stockroom/database';
import { CatalogCoreModule } from '@stockroom/catalog';
import { Category } from './category.entity';
import { CategoryRepository } from './category.repository';
import { CategoryService } from './category.service';
import { CategoriesController } from './categories.controller';

/** Categories without HTTP; importing it also makes the catalogue check the categories products name. */
@Module({
  imports: [TypeOrmModule.forFeature([Category]), CatalogCoreModule],
  providers: [CategoryRepository, CategoryService, UnitOfWork],
  exports: [CategoryService],
})
export class CategoriesCoreModule {}

/** The `/categories` routes. */
@Module({
  imports: [CategoriesCoreModule],
  controllers: [CategoriesController],
})
export class CategoriesModule {}
