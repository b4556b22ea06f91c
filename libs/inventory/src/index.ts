export * from './stock-movement.entity';
export * from './inventory.errors';
export * from './inventory.repository';
export * from './inventory.service';
export * from './inventory.module';
export * from './intake-metrics';
export * from './reservation-intake';
export { StockLineDto, StockLinesDto } from './dto/inventory.dto';
