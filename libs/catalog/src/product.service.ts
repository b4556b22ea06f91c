import { Injectable } from '@nestjs/common';
import { Product } from './product.entity';
import { NewProduct, ProductChanges, ProductPage, ProductRepository } from './product.repository';
import { ProductNotFoundError } from './catalog.errors';

@Injectable()
export class ProductService {
  constructor(private readonly products: ProductRepository) {}

  async getById(id: number): Promise<Product> {
    const product = await this.products.findById(id);
    if (!product) throw new ProductNotFoundError({ id });
    return product;
  }

  async getBySku(sku: string): Promise<Product> {
    const product = await this.products.findBySku(sku);
    if (!product) throw new ProductNotFoundError({ sku });
    return product;
  }

  list(query: { page: number; limit: number; q?: string }): Promise<ProductPage> {
    return this.products.list({ ...query, q: query.q || undefined });
  }

  mostViewed(limit: number): Promise<Product[]> {
    return this.products.mostViewed(limit);
  }

  create(input: Omit<NewProduct, 'description' | 'stock'> & Partial<NewProduct>): Promise<Product> {
    return this.products.create({ ...input, description: input.description ?? '', stock: input.stock ?? 0 });
  }

  /** An empty patch changes nothing and does not bump the version. */
  async update(id: number, changes: ProductChanges): Promise<Product> {
    if (Object.values(changes).every((value) => value === undefined)) return this.getById(id);
    const product = await this.products.update(id, changes);
    if (!product) throw new ProductNotFoundError({ id });
    return product;
  }

  async delete(id: number): Promise<void> {
    if (!(await this.products.delete(id))) throw new ProductNotFoundError({ id });
  }
}
