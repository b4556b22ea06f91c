import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { isDuplicateKeyError, onPrimary, UnitOfWork } from '@stockroom/database';
import { DELETED_STAMP, RedisCacheService } from '@stockroom/cache';
import type { Rendering } from '@stockroom/cache';
import type { JsonRepresentation } from '@stockroom/core';
import { Product } from './product.entity';
import { ProductSkuTakenError } from './catalog.errors';
import { InitialStockRecorder } from './initial-stock.port';
import { ProductCategories } from './product-categories.port';
import { fromProductJsonRendering, productJsonRendering } from './product-json';

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  price: string;
  stock: number;
  categoryId?: number | null;
}

export type ProductChanges = Partial<Pick<NewProduct, 'sku' | 'name' | 'description' | 'price' | 'categoryId'>>;

export interface ProductQuery {
  page: number;
  limit: number;
  q?: string;
  category?: number;
}

export interface ProductPage {
  items: Product[];
  page: number;
  limit: number;
  total: number;
}

/** Products by id (stamped with the row version) and SKU → id pointers. */
export const PRODUCT_NAMESPACE = 'product';
/** List pages and the popular list: retired together, in O(1), after every write. */
export const PRODUCT_LIST_NAMESPACE = 'product-list';
const POPULAR_TTL_SECONDS = 60;
/** List pages cached per limit (browsing, no `q`): at most 100 limits x 20 pages of keys. */
export const CACHED_LIST_PAGES = 20;
/** Deepest row a list may reach (page x limit): past it OFFSET scans grow with the page. */
export const LIST_WINDOW = 10_000;

/** Escapes LIKE wildcards so a search for "50%" means the characters, not a pattern. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/**
 * Every query on `products`, with cache-aside in front of the reads. Writes go to MySQL first;
 * once the statement has committed, the cached row is retired (a tombstone stamped with the new
 * `version`) and the list namespace is bumped. Loads store only under their lease and only a
 * version at least the tombstone's, so a slower reader can never put an older row back.
 */
@Injectable()
export class ProductRepository {
  /** The stock ledger, plugged in by the inventory module when the app has one (see InitialStockRecorder). */
  private ledger?: InitialStockRecorder;
  /** The categories products may name, plugged in by the categories module when the app has one. */
  private categories?: ProductCategories;

  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly cache: RedisCacheService,
    private readonly work: UnitOfWork,
  ) {
    cache.defineNamespace(PRODUCT_NAMESPACE);
    cache.defineNamespace(PRODUCT_LIST_NAMESPACE);
  }

  /** Called once at startup by the module that keeps the ledger: catalogue writes that set stock record it there. */
  recordInitialStockWith(ledger: InitialStockRecorder): void {
    this.ledger = ledger;
  }

  /** Called once at startup by the categories module: product writes that name a category check it there. */
  checkCategoriesWith(categories: ProductCategories): void {
    this.categories = categories;
  }

  /** Throws CategoryNotFoundError for an unknown category; nothing to check in an app without categories. */
  async ensureCategoryExists(id: number): Promise<void> {
    await this.categories?.ensureExists(id);
  }

  /**
   * In the open unit of work (a category's delete): whether any product is in the category. A
   * locking read, so a product written into it and committed meanwhile is seen.
   */
  async anyInCategory(categoryId: number): Promise<boolean> {
    const rows = (await this.work.manager.query('SELECT id FROM products WHERE category_id = ? LIMIT 1 LOCK IN SHARE MODE', [categoryId])) as unknown[];
    return rows.length > 0;
  }

  findById(id: number): Promise<Product | null> {
    return this.cache.getOrLoad(PRODUCT_NAMESPACE, `id:${id}`, () => this.fill((manager) => manager.findOneBy(Product, { id })), {
      stamp: (product) => product?.version,
      // Its public JSON beside it: a Redis hit can then be answered without decoding and rendering.
      render: productJsonRendering as Rendering<Product | null>,
    });
  }

  /** The product when this process already holds it (L1), without any I/O. */
  peekById(id: number): Product | undefined {
    return this.cache.peek<Product>(PRODUCT_NAMESPACE, `id:${id}`) ?? undefined;
  }

  /** The product's public JSON when it is cached in Redis and current; undefined leaves it to findById. */
  findCachedJsonById(id: number): Promise<JsonRepresentation | undefined> {
    return this.cache.getCachedRendering(PRODUCT_NAMESPACE, `id:${id}`, productJsonRendering).then((rendering) => (rendering === undefined ? undefined : fromProductJsonRendering(rendering)));
  }

  /** As findBySku, from L1 only: the pointer and the product, which must still carry this SKU. */
  peekBySku(sku: string): Product | undefined {
    const id = this.cache.peek<number | null>(PRODUCT_NAMESPACE, `sku:${sku}`);
    const product = typeof id === 'number' ? this.peekById(id) : undefined;
    return product?.sku === sku ? product : undefined;
  }

  /**
   * The SKU entry only points at an id; the product itself comes from the id entry and must still
   * carry this SKU, so a pointer left behind by a rename or delete can never answer wrongly.
   */
  async findBySku(sku: string): Promise<Product | null> {
    const id = await this.cache.getOrLoad(PRODUCT_NAMESPACE, `sku:${sku}`, async () => (await this.fill((manager) => manager.findOneBy(Product, { sku })))?.id ?? null);
    if (id !== null) {
      const product = await this.findById(id);
      if (product?.sku === sku) return product;
    }
    const product = await this.fill((manager) => manager.findOneBy(Product, { sku }));
    if (product) await this.cache.set(PRODUCT_NAMESPACE, `sku:${sku}`, product.id);
    return product;
  }

  /** Ordered by id so pages are stable while rows are added. */
  list(query: ProductQuery): Promise<ProductPage> {
    // Only the first pages of browsing are cached: anonymous input (any `q`, any page) must not
    // grow Redis without bound. A page carries its own page and limit, so it renders the same from
    // any cache level. A category's pages are cached by the service (ProductService.categoryPage).
    if (query.q || query.category !== undefined || query.page > CACHED_LIST_PAGES) return this.loadPage(query, this.products.manager);
    return this.cache.getOrLoad(PRODUCT_LIST_NAMESPACE, `pages:${query.page}:${query.limit}:`, () => this.pageToCache(query));
  }

  /** A page the caller will cache: read on the primary, as everything the cache keeps (see fill). */
  pageToCache(query: ProductQuery): Promise<ProductPage> {
    return this.fill((manager) => this.loadPage(query, manager));
  }

  private async loadPage(query: ProductQuery, manager: EntityManager): Promise<ProductPage> {
    const builder = manager.createQueryBuilder(Product, 'p').orderBy('p.id', 'ASC');
    if (query.q) builder.andWhere('p.name LIKE :pattern', { pattern: likeContains(query.q) });
    if (query.category !== undefined) builder.andWhere('p.category_id = :category', { category: query.category });
    const [items, total] = await builder
      .skip((query.page - 1) * query.limit)
      .take(query.limit)
      .getManyAndCount();
    return { items, page: query.page, limit: query.limit, total };
  }

  /** Most viewed first; ties broken by id so the order is stable. */
  mostViewed(limit: number): Promise<Product[]> {
    return this.cache.getOrLoad(
      PRODUCT_LIST_NAMESPACE,
      `popular:${limit}`,
      () => this.fill((manager) => manager.find(Product, { order: { views: 'DESC', id: 'ASC' }, take: limit })),
      { ttl: POPULAR_TTL_SECONDS },
    );
  }

  /**
   * Sellable units (stock - reserved) of the products whose row changed in the last `ms`
   * milliseconds (stock changes move updated_at, view counts keep it), on the primary: the board
   * that shows them must not trail a replica's lag.
   */
  async availabilityChangedWithin(ms: number): Promise<Array<{ id: number; available: number }>> {
    const rows = (await onPrimary(this.products.manager.connection, (manager) =>
      manager.query('SELECT id, stock - reserved AS available FROM products WHERE updated_at >= CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND', [Math.ceil(ms) * 1000]),
    )) as Array<{ id: number | string; available: number | string }>;
    return rows.map((row) => ({ id: Number(row.id), available: Number(row.available) }));
  }

  /**
   * What the cache will store is read on the primary: an entry is shared and lives until the next
   * write, and a replica that has not caught up with that write would have the cache keep (a list
   * page) or keep serving (a row its tombstone refuses) the old data. Replicas take the reads that
   * are not cached: searches, deep pages, and everything when the cache is off.
   */
  private fill<T>(load: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.cache.enabled ? onPrimary(this.products.manager.connection, load) : load(this.products.manager);
  }

  /** Current prices, in the open unit of work (an order prices its lines in its own transaction). */
  async pricesOf(productIds: number[]): Promise<Map<number, string>> {
    const rows = (await this.work.manager.query('SELECT id, price FROM products WHERE id IN (?)', [productIds])) as Array<{ id: number; price: string }>;
    return new Map(rows.map((row) => [Number(row.id), row.price]));
  }

  /** Cheaper than COUNT(*) on a large InnoDB table. */
  async isEmpty(): Promise<boolean> {
    return (await this.products.createQueryBuilder('p').select('p.id').limit(1).getRawOne()) === undefined;
  }

  async create(input: NewProduct): Promise<Product> {
    let product: Product;
    try {
      // One unit of work with the ledger's movement (joined by the inventory repository).
      product = await this.work.run(async () => {
        if (input.categoryId != null) await this.categories?.holdForProduct(input.categoryId);
        const result = await this.work.manager.insert(Product, input);
        const id = (result.identifiers[0] as { id: number }).id;
        if (input.stock > 0) await this.ledger?.recordInitialStock(id, input.stock);
        return this.work.manager.findOneByOrFail(Product, { id });
      });
    } catch (error) {
      if (isDuplicateKeyError(error, 'UQ_products_sku')) throw new ProductSkuTakenError(input.sku);
      throw error;
    }
    await this.cache.invalidateNamespace(PRODUCT_LIST_NAMESPACE);
    return product;
  }

  /**
   * Applies the changes and bumps `version` in one statement; null when the row is gone. Read back
   * in the same transaction: on the primary, and the version this write made (a replica may lag).
   * `ifVersion`: only while the row is still at that version, else 'changed' (If-Match's write).
   */
  async update(id: number, changes: ProductChanges, ifVersion?: number): Promise<Product | null | 'changed'> {
    let product: Product | null | 'changed';
    try {
      product = await this.work.run(async () => {
        const { manager } = this.work;
        if (changes.categoryId != null) await this.categories?.holdForProduct(changes.categoryId);
        const update = manager
          .createQueryBuilder()
          .update(Product)
          .set({ ...changes, version: () => 'version + 1' })
          .where('id = :id', { id });
        if (ifVersion !== undefined) update.andWhere('version = :ifVersion', { ifVersion });
        const result = await update.execute();
        if (result.affected) return manager.findOneBy(Product, { id });
        return ifVersion !== undefined && (await manager.existsBy(Product, { id })) ? 'changed' : null;
      });
    } catch (error) {
      if (changes.sku && isDuplicateKeyError(error, 'UQ_products_sku')) throw new ProductSkuTakenError(changes.sku);
      throw error;
    }
    if (product && product !== 'changed') await this.retire(id, product.version);
    return product;
  }

  /**
   * Deletes a product nobody has a reservation on: `{ reserved }` when pending orders hold some of its
   * stock (deleting it would leave them unable to confirm or release). One guarded statement, so a
   * reservation committing meanwhile is seen (its row lock orders the two). `ifVersion` as for update.
   */
  async delete(id: number, ifVersion?: number): Promise<'deleted' | 'missing' | 'changed' | { reserved: number }> {
    const guard = ifVersion === undefined ? '' : ' AND version = ?';
    const result = (await this.products.manager.query(`DELETE FROM products WHERE id = ? AND reserved = 0${guard}`, ifVersion === undefined ? [id] : [id, ifVersion])) as { affectedRows: number };
    if (result.affectedRows === 0) {
      const rows = (await this.products.manager.query('SELECT reserved, version FROM products WHERE id = ?', [id])) as Array<{ reserved: number; version: number }>;
      if (rows.length === 0) return 'missing';
      if (ifVersion !== undefined && Number(rows[0].version) !== ifVersion) return 'changed';
      return { reserved: Number(rows[0].reserved) };
    }
    await this.retire(id, DELETED_STAMP);
    return 'deleted';
  }

  /** Bulk load for seeding: existing SKUs are skipped, so concurrent or repeated runs are harmless. */
  async insertIgnoringExisting(rows: NewProduct[]): Promise<number> {
    if (rows.length === 0) return 0;
    const inserted = await this.work.run(async () => {
      const result = await this.work.manager
        .createQueryBuilder()
        .insert()
        .into(Product)
        .values(rows)
        .orIgnore()
        // Skipped rows have no generated id to read back.
        .updateEntity(false)
        .execute();
      await this.ledger?.recordMissingInitialStock(rows.map((row) => row.sku));
      return (result.raw as { affectedRows?: number }).affectedRows ?? 0;
    });
    if (inserted > 0) await this.cache.invalidateNamespace(PRODUCT_LIST_NAMESPACE);
    return inserted;
  }

  /**
   * For other writers of product rows (inventory), once per commit: each cached copy is retired at
   * its new version, the list pages once for them all.
   */
  async afterExternalWrites(rows: Array<{ id: number; version: number }>): Promise<void> {
    if (rows.length === 0) return;
    await Promise.all(rows.map((row) => this.cache.tombstone(PRODUCT_NAMESPACE, `id:${row.id}`, row.version)));
    await this.cache.invalidateNamespace(PRODUCT_LIST_NAMESPACE);
  }

  /**
   * After the commit: a tombstone at the new version replaces the cached row and cancels any load
   * in progress (its lease), so only a load that starts now, and reads the new row, can fill it.
   */
  private async retire(id: number, version: number): Promise<void> {
    await this.cache.tombstone(PRODUCT_NAMESPACE, `id:${id}`, version);
    await this.cache.invalidateNamespace(PRODUCT_LIST_NAMESPACE);
  }
}
