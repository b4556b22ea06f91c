/**
 * The categories a product may name, as the catalogue needs them. The categories lib implements
 * this and plugs it in at startup (`ProductRepository.checkCategoriesWith`), so the dependency
 * points categories → catalogue and the catalogue names no table it does not own. In an app
 * without categories nothing is checked (the worker and the CLI never set a category).
 */
export abstract class ProductCategories {
  /** For reads: throws CategoryNotFoundError when no category has this id (may answer from the cache). */
  abstract ensureExists(id: number): Promise<void>;
  /**
   * In the catalogue's open unit of work, before a product is written into the category: locks the
   * category's row in share mode until the commit (a delete of it waits, then sees the product);
   * throws CategoryNotFoundError when there is none.
   */
  abstract holdForProduct(id: number): Promise<void>;
}
