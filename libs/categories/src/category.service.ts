import { Injectable, OnModuleInit } from '@nestjs/common';
import { Cached, CacheEvict, RedisCacheService } from '@stockroom/cache';
import { CategoryNotFoundError, ProductCategories, ProductRepository } from '@stockroom/catalog';
import { PreconditionFailedError, ValidationFailedError } from '@stockroom/core';
import { Category } from './category.entity';
import { CategoryRepository } from './category.repository';
import type { CategoryChanges, CategoryPrecondition, NewCategory } from './category.repository';
import { CategoryInUseError } from './categories.errors';

/** Categories are cached under their own namespace, as long as the seed keeps them: a day. */
export const CATEGORIES_NAMESPACE = 'categories';
export const CATEGORIES_TTL_SECONDS = 86_400;

/** Lowercase ASCII words joined by single hyphens. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A slug from a name: accents dropped, anything else between words becomes one hyphen. */
export function slugOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
}

/**
 * The categories, read through `@Cached` (one entry holds them all: there are few, and every read
 * wants the tree) and retired by `@CacheEvict` after each write. Also the catalogue's port: it
 * checks the category a product names.
 */
@Injectable()
export class CategoryService extends ProductCategories implements OnModuleInit {
  constructor(
    private readonly categories: CategoryRepository,
    private readonly products: ProductRepository,
    cache: RedisCacheService,
  ) {
    super();
    cache.defineNamespace(CATEGORIES_NAMESPACE, { ttl: CATEGORIES_TTL_SECONDS });
  }

  onModuleInit(): void {
    this.products.checkCategoriesWith(this);
  }

  /** Every category, by name. */
  @Cached({ namespace: CATEGORIES_NAMESPACE, key: () => 'all' })
  all(): Promise<Category[]> {
    return this.categories.all();
  }

  async get(id: number): Promise<Category> {
    const category = (await this.all()).find((candidate) => candidate.id === id);
    if (!category) throw new CategoryNotFoundError(id);
    return category;
  }

  async ensureExists(id: number): Promise<void> {
    await this.get(id);
  }

  async holdForProduct(id: number): Promise<void> {
    if (!(await this.categories.holdInShareMode(id))) throw new CategoryNotFoundError(id);
  }

  @CacheEvict({ namespace: CATEGORIES_NAMESPACE })
  async create(input: Omit<NewCategory, 'slug' | 'parentId'> & Partial<NewCategory>): Promise<Category> {
    const slug = input.slug ?? slugOf(input.name);
    if (!slug) throw new ValidationFailedError([{ field: 'slug', problems: ['the name has no letters or digits to make a slug of; send a slug'] }]);
    return this.categories.create({ name: input.name, slug, parentId: input.parentId ?? null });
  }

  /** An empty patch changes nothing. */
  @CacheEvict({ namespace: CATEGORIES_NAMESPACE })
  async update(id: number, changes: CategoryChanges, precondition?: CategoryPrecondition): Promise<Category> {
    if (Object.values(changes).every((value) => value === undefined)) {
      const category = await this.get(id);
      if (precondition && !precondition(category)) throw new PreconditionFailedError(`Category ${id}`);
      return category;
    }
    const category = await this.categories.update(id, changes, precondition);
    if (!category) throw new CategoryNotFoundError(id);
    return category;
  }

  /** Refused while products or subcategories are in it: nothing is ever left pointing at a deleted category. */
  @CacheEvict({ namespace: CATEGORIES_NAMESPACE })
  async delete(id: number, precondition?: CategoryPrecondition): Promise<void> {
    const outcome = await this.categories.delete(id, (categoryId) => this.products.anyInCategory(categoryId), precondition);
    if (outcome === 'missing') throw new CategoryNotFoundError(id);
    if (outcome !== 'deleted') throw new CategoryInUseError(id, outcome);
  }
}
