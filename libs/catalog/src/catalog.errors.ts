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
