/**
 * Catalogue writes that set stock outside inventory (a new product's initial stock, seeding)
 * must enter the stock ledger in the same transaction. The inventory module implements this and
 * plugs it in at startup (`ProductRepository.recordInitialStockWith`); the catalogue only knows the
 * port, so the dependency still points inventory → catalogue and no module has to be global.
 */
export abstract class InitialStockRecorder {
  /** In the catalogue's open unit of work (see UnitOfWork). */
  abstract recordInitialStock(productId: number, quantity: number): Promise<void>;
  /** After a bulk load: records the initial stock of those of `skus` that have no movement yet. */
  abstract recordMissingInitialStock(skus: string[]): Promise<void>;
}
