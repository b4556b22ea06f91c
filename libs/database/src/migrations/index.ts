import { CreateProducts1764230000000 } from './1764230000000-create-products';
import { StockLedger1764240000000 } from './1764240000000-stock-ledger';
import { CounterFlushes1764250000000 } from './1764250000000-counter-flushes';
import { Users1764260000000 } from './1764260000000-users';
import { Orders1764270000000 } from './1764270000000-orders';
import { Payments1764280000000 } from './1764280000000-payments';
import { CanonicalEmails1764290000000 } from './1764290000000-canonical-emails';
import { DatabaseEpoch1764300000000 } from './1764300000000-database-epoch';
import { ProductsUpdatedAt1764310000000 } from './1764310000000-products-updated-at';
import { DatabaseClock1764320000000 } from './1764320000000-database-clock';
import { Categories1764330000000 } from './1764330000000-categories';
import { ProductsCategory1764340000000 } from './1764340000000-products-category';
import { CounterFlushesAppliedAt1764350000000 } from './1764350000000-counter-flushes-applied-at';
import { CounterFlushesProgress1764360000000 } from './1764360000000-counter-flushes-progress';
import { DropProductsViewsIndex1764370000000 } from './1764370000000-drop-products-views-index';

/** Listed explicitly (not globbed) so the bundled build and the CLI see the same set, in order. */
export const migrations = [CreateProducts1764230000000, StockLedger1764240000000, CounterFlushes1764250000000, Users1764260000000, Orders1764270000000, Payments1764280000000, CanonicalEmails1764290000000, DatabaseEpoch1764300000000, ProductsUpdatedAt1764310000000, DatabaseClock1764320000000, Categories1764330000000, ProductsCategory1764340000000, CounterFlushesAppliedAt1764350000000, CounterFlushesProgress1764360000000, DropProductsViewsIndex1764370000000];
