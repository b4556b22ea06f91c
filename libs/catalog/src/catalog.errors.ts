import { DomainError } from '@stockroom/core';

export class ProductNotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'PRODUCT_NOT_FOUND';

  constructor(key: { id: number } | { sku: string }) {
    super('id' in key ? `Product ${key.id} not found` : `Product with SKU ${key.sku} not found`, key);
  }
}

export class ProductSkuTakenError extends DomainError {
  readonly status = 409;
  readonly code = 'PRODUCT_SKU_TAKEN';

  constructor(sku: string) {
    super(`SKU ${sku} is already used by another product`, { sku });
  }
}

export class ProductHasReservationsError extends DomainError {
  readonly status = 409;
  readonly code = 'PRODUCT_HAS_RESERVATIONS';

  constructor(id: number, reserved: number) {
    super(`Product ${id} has ${reserved} units reserved by pending orders; delete it once they are confirmed or failed`, { id, reserved });
  }
}

/** The catalogue's own, because product writes and `?category=` answer it too (the categories lib uses the same). */
export class CategoryNotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'CATEGORY_NOT_FOUND';

  constructor(id: number) {
    super(`Category ${id} not found`, { id });
  }
}
