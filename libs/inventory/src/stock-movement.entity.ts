import { bigintAsNumber } from '@stockroom/database';
import { IDEMPOTENCY_KEY_PATTERN } from '@stockroom/idempotency';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MovementType = 'adjustment' | 'reservation' | 'release' | 'sale' | 'return';

/** An idempotency key or order reference, as stored in `reference` (varchar(100)): every key must fit. */
export const REFERENCE_PATTERN = IDEMPOTENCY_KEY_PATTERN;

/**
 * The append-only stock ledger. Each movement records its effect on both counters, so for every
 * product SUM(stock_delta) = stock and SUM(reserved_delta) = reserved.
 */
@Entity('stock_movements')
@Index('IDX_stock_movements_product', ['productId', 'id'])
@Index('UQ_stock_movements_reference', ['reference', 'productId', 'type'], { unique: true })
export class StockMovement {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: number;

  @Column({ name: 'product_id', type: 'int' })
  productId!: number;

  @Column({ type: 'varchar', length: 16 })
  type!: MovementType;

  @Column({ name: 'stock_delta', type: 'int' })
  stockDelta!: number;

  @Column({ name: 'reserved_delta', type: 'int' })
  reservedDelta!: number;

  @Column({ type: 'varchar', length: 200, default: '' })
  reason!: string;

  /** The idempotency key or order that caused it; unique per product and type. */
  @Column({ type: 'varchar', length: 100, nullable: true, default: null })
  reference!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true, default: null })
  actor!: string | null;

  @Column({ name: 'fencing_token', type: 'bigint', nullable: true, default: null, transformer: bigintAsNumber })
  fencingToken!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;
}
