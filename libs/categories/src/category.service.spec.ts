import { CategoryNotFoundError } from '@stockroom/catalog';
import type { ProductRepository } from '@stockroom/catalog';
import type { RedisCacheService } from '@stockroom/cache';
import { CategoryService, slugOf, SLUG_PATTERN } from './category.service';
import type { CategoryRepository } from './category.repository';
import type { Category } from './category.entity';

const cache = { defineNamespace: jest.fn() } as unknown as RedisCacheService;
const lamps = { id: 3, name: 'Lamps', slug: 'lamps', parentId: null } as Category;

function service(categories: Partial<CategoryRepository>, products: Partial<ProductRepository> = {}): CategoryService {
  return new CategoryService(categories as CategoryRepository, products as ProductRepository, cache);
}

describe('CategoryService', () => {
  it('makes slugs of names: lowercase ASCII words joined by one hyphen', () => {
    expect(slugOf('  Desk Lämps & Shades  ')).toBe('desk-lamps-shades');
    expect(slugOf('Crème brûlée -- 2 pcs.')).toBe('creme-brulee-2-pcs');
    expect(slugOf('!!!')).toBe('');
    expect(slugOf(`${'a'.repeat(99)} b`)).toBe('a'.repeat(99));
    for (const name of ['Desk Lämps & Shades', 'Crème brûlée -- 2 pcs.', `${'a'.repeat(99)} b`]) expect(slugOf(name)).toMatch(SLUG_PATTERN);
  });

  it('refuses a name with nothing to make a slug of, before any write', async () => {
    const create = jest.fn();
    await expect(service({ create }).create({ name: '!!!' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(create).not.toHaveBeenCalled();
  });

  it('finds one category in the list, and answers the catalogue with CategoryNotFoundError', async () => {
    const categories = service({ all: async () => [lamps] });
    await expect(categories.get(3)).resolves.toBe(lamps);
    await expect(categories.ensureExists(4)).rejects.toThrow(CategoryNotFoundError);
    await expect(service({ holdInShareMode: async () => false }).holdForProduct(4)).rejects.toMatchObject({ code: 'CATEGORY_NOT_FOUND', status: 404 });
  });

  it('plugs itself into the catalogue at startup', () => {
    const checkCategoriesWith = jest.fn();
    const categories = service({}, { checkCategoriesWith });
    categories.onModuleInit();
    expect(checkCategoriesWith).toHaveBeenCalledWith(categories);
  });

  it('names what a refused delete still holds', async () => {
    await expect(service({ delete: async () => 'subcategories' }).delete(3)).rejects.toMatchObject({ code: 'CATEGORY_IN_USE', details: { id: 3, holds: 'subcategories' } });
    await expect(service({ delete: async () => 'missing' }).delete(3)).rejects.toThrow(CategoryNotFoundError);
    await expect(service({ delete: async () => 'deleted' }).delete(3)).resolves.toBeUndefined();
  });
});
