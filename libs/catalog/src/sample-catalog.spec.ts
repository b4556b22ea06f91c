import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateProductDto } from './dto/create-product.dto';
import { sampleProduct, sampleProducts } from './sample-catalog';

describe('sample catalogue', () => {
  it('is deterministic: the same index is always the same product', () => {
    expect(sampleProduct(17)).toEqual(sampleProduct(17));
    expect(sampleProduct(17)).not.toEqual(sampleProduct(18));
  });

  it('numbers SKUs from the index so reseeding can skip existing ones', () => {
    expect(sampleProducts(99, 3).map((p) => p.sku)).toEqual(['SR-000099', 'SR-000100', 'SR-000101']);
  });

  it('produces products the API itself would accept', () => {
    for (const product of sampleProducts(1, 500)) {
      expect(validateSync(plainToInstance(CreateProductDto, product), { whitelist: true, forbidNonWhitelisted: true })).toEqual([]);
    }
  });
});
