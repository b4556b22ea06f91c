import { ProductService } from './product.service';
import { ProductNotFoundError } from './catalog.errors';
import type { ProductRepository } from './product.repository';
import type { Product } from './product.entity';

const product = { id: 1, sku: 'A', name: 'A', description: '', price: '1.00', stock: 0, views: 0, version: 1 } as Product;

function repository(overrides: Partial<ProductRepository>): ProductRepository {
  return overrides as ProductRepository;
}

describe('ProductService', () => {
  it('throws ProductNotFoundError for a missing id or SKU', async () => {
    const service = new ProductService(repository({ findById: async () => null, findBySku: async () => null }));
    await expect(service.getById(9)).rejects.toThrow(ProductNotFoundError);
    await expect(service.getBySku('X')).rejects.toMatchObject({ code: 'PRODUCT_NOT_FOUND', details: { sku: 'X' } });
  });

  it('does not write for an empty patch', async () => {
    const update = jest.fn();
    const service = new ProductService(repository({ findById: async () => product, update }));
    await expect(service.update(1, { name: undefined })).resolves.toBe(product);
    expect(update).not.toHaveBeenCalled();
  });

  it('fills the optional fields of a new product', async () => {
    const create = jest.fn(async () => product);
    const service = new ProductService(repository({ create }));
    await service.create({ sku: 'A', name: 'A', price: '1.00' });
    expect(create).toHaveBeenCalledWith({ sku: 'A', name: 'A', price: '1.00', description: '', stock: 0 });
  });

  it('reports a delete of a missing product as not found', async () => {
    const service = new ProductService(repository({ delete: async () => false }));
    await expect(service.delete(3)).rejects.toThrow(ProductNotFoundError);
  });
});
