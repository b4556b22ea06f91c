import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isDuplicateKeyError } from '@stockroom/database';
import { Product } from './product.entity';
import { ProductSkuTakenError } from './catalog.errors';

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  price: string;
  stock: number;
}

export type ProductChanges = Partial<Pick<NewProduct, 'sku' | 'name' | 'description' | 'price'>>;

export interface ProductPage {
  items: Product[];
  total: number;
}

/** Escapes LIKE wildcards so a search for "50%" means the characters, not a pattern. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** Every query on `products` lives here. */
@Injectable()
export class ProductRepository {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  findById(id: number): Promise<Product | null> {
    return this.products.findOneBy({ id });
  }

  findBySku(sku: string): Promise<Product | null> {
    return this.products.findOneBy({ sku });
  }

  /** Ordered by id so pages are stable while rows are added. */
  async list(query: { page: number; limit: number; q?: string }): Promise<ProductPage> {
    const builder = this.products.createQueryBuilder('p').orderBy('p.id', 'ASC');
    if (query.q) builder.where('p.name LIKE :pattern', { pattern: likeContains(query.q) });
    const [items, total] = await builder
      .skip((query.page - 1) * query.limit)
      .take(query.limit)
      .getManyAndCount();
    return { items, total };
  }

  /** Most viewed first; ties broken by id so the order is stable. */
  mostViewed(limit: number): Promise<Product[]> {
    return this.products.find({ order: { views: 'DESC', id: 'ASC' }, take: limit });
  }

  /** Cheaper than COUNT(*) on a large InnoDB table. */
  async isEmpty(): Promise<boolean> {
    return (await this.products.createQueryBuilder('p').select('p.id').limit(1).getRawOne()) === undefined;
  }

  async create(input: NewProduct): Promise<Product> {
    try {
      const result = await this.products.insert(input);
      const id = (result.identifiers[0] as { id: number }).id;
      return await this.products.findOneByOrFail({ id });
    } catch (error) {
      if (isDuplicateKeyError(error, 'UQ_products_sku')) throw new ProductSkuTakenError(input.sku);
      throw error;
    }
  }

  /** Applies the changes and bumps `version` in one statement; null when the row is gone. */
  async update(id: number, changes: ProductChanges): Promise<Product | null> {
    try {
      const result = await this.products
        .createQueryBuilder()
        .update(Product)
        .set({ ...changes, version: () => 'version + 1' })
        .where('id = :id', { id })
        .execute();
      if (!result.affected) return null;
    } catch (error) {
      if (changes.sku && isDuplicateKeyError(error, 'UQ_products_sku')) throw new ProductSkuTakenError(changes.sku);
      throw error;
    }
    return this.products.findOneBy({ id });
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.products.delete({ id });
    return (result.affected ?? 0) > 0;
  }

  /** Bulk load for seeding: existing SKUs are skipped, so concurrent or repeated runs are harmless. */
  async insertIgnoringExisting(rows: NewProduct[]): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.products
      .createQueryBuilder()
      .insert()
      .into(Product)
      .values(rows)
      .orIgnore()
      // Skipped rows have no generated id to read back.
      .updateEntity(false)
      .execute();
    return (result.raw as { affectedRows?: number }).affectedRows ?? 0;
  }
}
