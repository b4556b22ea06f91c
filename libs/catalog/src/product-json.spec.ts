import { fromProductJsonRendering, productJson, productJsonRendering } from './product-json';
import type { Product } from './product.entity';

const product = {
  id: 7,
  sku: 'P-7',
  name: 'Line\nbreak "quoted"',
  description: '',
  price: '1.00',
  stock: 3,
  reserved: 0,
  views: 0,
  version: 2,
  createdAt: new Date('2026-01-01T00:00:00.000Z'),
  updatedAt: new Date('2026-01-02T00:00:00.000Z'),
} as unknown as Product;

describe('product JSON rendering (stored beside the cached product)', () => {
  it('round-trips the representation an L1 hit would send (a newline in a field is escaped in JSON)', () => {
    const restored = fromProductJsonRendering(productJsonRendering.render(product));
    expect(restored).toEqual(productJson.of(product));
    expect(JSON.parse(restored.body).name).toBe('Line\nbreak "quoted"');
  });

  it('is versioned by the shape of ProductResponse.from', () => {
    expect(productJsonRendering.version).toMatch(/^[\w-]{10}$/);
  });
});
