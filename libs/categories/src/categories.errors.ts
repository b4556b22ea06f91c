import { DomainError } from '@stockroom/core';

export class CategorySlugTakenError extends DomainError {
  readonly status = 409;
  readonly code = 'CATEGORY_SLUG_TAKEN';

  constructor(slug: string) {
    super(`Slug ${slug} is already used by another category`, { slug });
  }
}

export class CategoryInUseError extends DomainError {
  readonly status = 409;
  readonly code = 'CATEGORY_IN_USE';

  constructor(id: number, holds: 'products' | 'subcategories') {
    super(`Category ${id} still has ${holds}; move or delete them first`, { id, holds });
  }
}

export class CategoryCycleError extends DomainError {
  readonly status = 409;
  readonly code = 'CATEGORY_CYCLE';

  constructor(id: number, parentId: number) {
    super(`Category ${parentId} is ${id === parentId ? 'the category itself' : `inside category ${id}`}; a category cannot be its own ancestor`, { id, parentId });
  }
}
