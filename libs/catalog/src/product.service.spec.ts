import { ProductService } from './product.service';
import { ProductNotFoundError } from './catalog.errors';
import type { ProductRepository } from './product.repository';
import type { Product } from './product.entity';
import type { StatsService } from '@stockroom/stats';

const product = { id: 1, sku: 'A', name: 'A', description: '', price: '1.00', stock: 0, views: 0, version: 1 } as Product;

const stats = { top: async () => [] } as unknown as StatsService;

function repository(overrides: Partial<ProductRepository>): ProductRepository {
  return overrides as ProductRepository;
}

describe('ProductService', () => {
  it('throws ProductNotFoundError for a missing id or SKU', async () => {
    const service = new ProductService(repository({ findById: async () => null, findBySku: async () => null }), stats);
    await expect(service.getById(9)).rejects.toThrow(ProductNotFoundError);
    await expect(service.getBySku('X')).rejects.toMatchObject({ code: 'PRODUCT_NOT_FOUND', details: { sku: 'X' } });
  });

  it('does not write for an empty patch', async () => {
    const update = jest.fn();
    const service = new ProductService(repository({ findById: async () => product, update }), stats);
    await expect(service.update(1, { name: undefined })).resolves.toBe(product);
    expect(update).not.toHaveBeenCalled();
  });

  it('fills the optional fields of a new product', async () => {
    const create = jest.fn(async () => product);
    const service = new ProductService(repository({ create }), stats);
    await service.create({ sku: 'A', name: 'A', price: '1.00' });
    expect(create).toHaveBeenCalledWith({ sku: 'A', name: 'A', price: '1.00', description: '', stock: 0 });
  });

  it('orders the popular list by the live view ranking, skipping deleted products', async () => {
    const ranked = { top: async () => [{ member: '2', score: 9 }, { member: '7', score: 5 }, { member: '1', score: 1 }] } as unknown as StatsService;
    const byId = async (id: number) => (id === 7 ? null : ({ ...product, id } as Product));
    const service = new ProductService(repository({ findById: byId, mostViewed: async () => [] }), ranked);
    expect((await service.mostViewed(3)).map((p) => p.id)).toEqual([2, 1]);
  });

  it('falls back to MySQL order when there is no ranking', async () => {
    const service = new ProductService(repository({ mostViewed: async () => [product] }), stats);
    expect(await service.mostViewed(3)).toEqual([product]);
  });

  it('reports a delete of a missing product as not found', async () => {
    const service = new ProductService(repository({ delete: async () => 'missing' as const }), stats);
    await expect(service.delete(3)).rejects.toThrow(ProductNotFoundError);
  });

  it('refuses to delete a product with reservations, naming how many units are held', async () => {
    const service = new ProductService(repository({ delete: async () => ({ reserved: 4 }) }), stats);
    await expect(service.delete(3)).rejects.toMatchObject({ status: 409, code: 'PRODUCT_HAS_RESERVATIONS', details: { id: 3, reserved: 4 } });
  });

  it('checks a category before listing it, and serves its first pages from the cached method only', async () => {
    const ensureCategoryExists = jest.fn(async (id: number) => {
      if (id === 9) throw new Error('no category 9');
    });
    const list = jest.fn(async () => ({ items: [], page: 30, limit: 20, total: 0 }));
    const service = new ProductService(repository({ ensureCategoryExists, list }), stats);
    const categoryPage = jest.spyOn(service, 'categoryPage').mockResolvedValue({ items: [product], page: 1, limit: 20, total: 1 });

    await expect(service.list({ page: 1, limit: 20, category: 9 })).rejects.toThrow('no category 9');
    expect(await service.list({ page: 1, limit: 20, category: 3 })).toMatchObject({ total: 1 });
    expect(categoryPage).toHaveBeenCalledWith(3, 1, 20);
    // Searches and deep pages are read as they are, never cached.
    await service.list({ page: 1, limit: 20, category: 3, q: 'lamp' });
    await service.list({ page: 30, limit: 20, category: 3 });
    expect(categoryPage).toHaveBeenCalledTimes(1);
    expect(list).toHaveBeenCalledTimes(2);
  });
});
