import type { NewProduct } from './product.repository';

const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Rugged', 'Slim', 'Smart', 'Vintage', 'Ergonomic', 'Portable', 'Premium', 'Eco', 'Modular'];
const MATERIALS = ['Oak', 'Steel', 'Bamboo', 'Ceramic', 'Linen', 'Walnut', 'Copper', 'Glass', 'Wool', 'Leather', 'Aluminium', 'Cotton'];
const NOUNS = ['Desk Lamp', 'Coffee Mug', 'Backpack', 'Notebook', 'Water Bottle', 'Chair', 'Headphones', 'Throw Blanket', 'Cutting Board', 'Planter', 'Wall Clock', 'Keyboard', 'Tote Bag', 'Bookshelf', 'Teapot'];
const USES = ['for everyday use', 'for the home office', 'built to last', 'for small spaces', 'for gifting', 'for the outdoors'];

/** Deterministic PRNG (mulberry32): the same index always yields the same product. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)];
}

/** Sample product number `index` (1-based); SKUs are `SR-000001`…, so reseeding skips what exists. */
export function sampleProduct(index: number): NewProduct {
  const next = random(index * 7919);
  const name = `${pick(ADJECTIVES, next)} ${pick(MATERIALS, next)} ${pick(NOUNS, next)}`;
  const cents = 199 + Math.floor(next() * 99_800);
  return {
    sku: `SR-${String(index).padStart(6, '0')}`,
    name,
    description: `${name} ${pick(USES, next)}.`,
    price: (cents / 100).toFixed(2),
    stock: Math.floor(next() * 500),
  };
}

export function sampleProducts(from: number, count: number): NewProduct[] {
  return Array.from({ length: count }, (_, offset) => sampleProduct(from + offset));
}
