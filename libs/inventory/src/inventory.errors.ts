import { DomainError, MAX_INT as MAX_STOCK } from '@stockroom/core';

export interface ShortLine {
  productId: number;
  requested: number;
  available: number | null;
}

export class InsufficientStockError extends DomainError {
  readonly status = 409;
  readonly code = 'INSUFFICIENT_STOCK';

  constructor(readonly lines: ShortLine[]) {
    super(`Not enough stock for product ${lines.map((l) => l.productId).join(', ')}`, { lines });
  }
}

/** A lock holder whose lease ran out tried to write after a newer holder did. */
export class StaleFencingTokenError extends DomainError {
  readonly status = 409;
  readonly code = 'STALE_FENCING_TOKEN';

  constructor(productId: number, fencingToken: number) {
    super(`A newer lock holder has written product ${productId}; fencing token ${fencingToken} is refused`, { productId, fencingToken });
  }
}

export class StockOutOfRangeError extends DomainError {
  readonly status = 409;
  readonly code = 'STOCK_OUT_OF_RANGE';

  constructor(productId: number, delta: number) {
    super(`Stock of product ${productId} cannot take ${delta > 0 ? '+' : ''}${delta}: it would pass ${MAX_STOCK}`, { productId, delta, max: MAX_STOCK });
  }
}
