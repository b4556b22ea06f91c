import { Injectable } from '@nestjs/common';
import { JsonRepresentation, PreconditionFailedError, ValidationFailedError } from '@stockroom/core';
import { StatsService } from '@stockroom/stats';
import { Product } from './product.entity';
import { Cached } from '@stockroom/cache';
import { CACHED_LIST_PAGES, LIST_WINDOW, NewProduct, PRODUCT_LIST_NAMESPACE, ProductChanges, ProductPage, ProductQuery, ProductRepository } from './product.repository';
import { ProductHasReservationsError, ProductNotFoundError } from './catalog.errors';

/** How long a category's product pages may be cached at most (the seed's TTL for categories). */
export const CATEGORY_PAGE_TTL_SECONDS = 86_400;

/**
 * What a conditional write requires of the product as this instance serves it now (e.g. that
 * If-Match names its current ETag); the write then happens only at that version.
 */
export type ProductPrecondition = (current: Product) => boolean;

@Injectable()
export class ProductService {
  constructor(
    private readonly products: ProductRepository,
    private readonly stats: StatsService,
  ) {}

  /** Current prices of products (for an order's lines), in the caller's unit of work. */
  pricesOf(productIds: number[]): Promise<Map<number, string>> {
    return this.products.pricesOf(productIds);
  }

  async getById(id: number): Promise<Product> {
    const product = await this.products.findById(id);
    if (!product) throw new ProductNotFoundError({ id });
    return product;
  }

  /** The product if this process already holds it (no I/O); undefined means "ask getById". */
  peekById(id: number): Product | undefined {
    return this.products.peekById(id);
  }

  /** The product's public JSON when it is cached and current in Redis (one read); never a database read. */
  findCachedJsonById(id: number): Promise<JsonRepresentation | undefined> {
    return this.products.findCachedJsonById(id);
  }

  peekBySku(sku: string): Product | undefined {
    return this.products.peekBySku(sku);
  }

  async getBySku(sku: string): Promise<Product> {
    const product = await this.products.findBySku(sku);
    if (!product) throw new ProductNotFoundError({ sku });
    return product;
  }

  async list(query: ProductQuery): Promise<ProductPage> {
    if (query.page * query.limit > LIST_WINDOW) {
      throw new ValidationFailedError([{ field: 'page', problems: [`page x limit may be at most ${LIST_WINDOW}; narrow the search with q instead`] }]);
    }
    const q = query.q || undefined;
    if (query.category !== undefined) {
      // Known categories only: cached pages then exist for real categories, never for any number sent.
      await this.products.ensureCategoryExists(query.category);
      if (!q && query.page <= CACHED_LIST_PAGES) return this.categoryPage(query.category, query.page, query.limit);
    }
    return this.products.list({ ...query, q });
  }

  /**
   * A category's first pages, kept as long as the seed keeps categories (a day): they belong to the
   * list namespace, so every product write (and stock change) retires them with the other pages.
   */
  @Cached({ namespace: PRODUCT_LIST_NAMESPACE, ttl: CATEGORY_PAGE_TTL_SECONDS, key: (category: number, page: number, limit: number) => `category:${category}:${page}:${limit}` })
  categoryPage(category: number, page: number, limit: number): Promise<ProductPage> {
    return this.products.pageToCache({ category, page, limit });
  }

  /**
   * Read straight from the views ranking (a sorted set: always current, O(log N + limit)) rather
   * than a list cached for 30 minutes; MySQL's `views` order when Redis has no ranking.
   */
  async mostViewed(limit: number): Promise<Product[]> {
    const ranking = await this.stats.top('views', limit).catch(() => []);
    if (ranking.length === 0) return this.products.mostViewed(limit);
    return this.findMany(ranking.map((entry) => Number(entry.member)));
  }

  /** Products by id in the order given, through the cache; ids with no product are left out. */
  async findMany(ids: number[]): Promise<Product[]> {
    const products = await Promise.all(ids.map((id) => this.products.findById(id)));
    return products.filter((product): product is Product => product !== null);
  }

  create(input: Omit<NewProduct, 'description' | 'stock'> & Partial<NewProduct>): Promise<Product> {
    return this.products.create({ ...input, description: input.description ?? '', stock: input.stock ?? 0 });
  }

  /** An empty patch changes nothing and does not bump the version (a precondition is still checked). */
  async update(id: number, changes: ProductChanges, precondition?: ProductPrecondition): Promise<Product> {
    const ifVersion = precondition && (await this.versionHolding(id, precondition));
    if (Object.values(changes).every((value) => value === undefined)) return this.getById(id);
    const product = await this.products.update(id, changes, ifVersion);
    if (product === 'changed') throw new PreconditionFailedError(`Product ${id}`);
    if (!product) throw new ProductNotFoundError({ id });
    return product;
  }

  async delete(id: number, precondition?: ProductPrecondition): Promise<void> {
    const ifVersion = precondition && (await this.versionHolding(id, precondition));
    const outcome = await this.products.delete(id, ifVersion);
    if (outcome === 'missing') throw new ProductNotFoundError({ id });
    if (outcome === 'changed') throw new PreconditionFailedError(`Product ${id}`);
    if (outcome !== 'deleted') throw new ProductHasReservationsError(id, outcome.reserved);
  }

  /**
   * The version the precondition holds at (404 for no product, 412 when it does not hold). The
   * write is conditioned on it, so a change committed in between is a 412 too, never lost.
   */
  private async versionHolding(id: number, precondition: ProductPrecondition): Promise<number> {
    const current = await this.getById(id);
    if (!precondition(current)) throw new PreconditionFailedError(`Product ${id}`);
    return current.version;
  }
}
