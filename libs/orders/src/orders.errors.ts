import { DomainError } from '@stockroom/core';

export class OrderNotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'ORDER_NOT_FOUND';

  constructor(id: number) {
    super(`No order with id ${id}`);
  }
}
