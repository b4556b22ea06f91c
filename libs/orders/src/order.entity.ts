import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type OrderStatus = 'pending' | 'confirmed' | 'failed';
export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'confirmed', 'failed'];

@Entity('orders')
@Check('CHK_orders_total', '`total` >= 0')
@Index('UQ_orders_idempotency', ['userId', 'idempotencyKey'], { unique: true })
@Index('IDX_orders_user', ['userId', 'id'])
@Index('IDX_orders_status', ['status', 'createdAt'])
export class Order {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  /** pending → confirmed | failed, only ever by a guarded UPDATE … WHERE status = 'pending'. */
  @Column({ type: 'varchar', length: 16 })
  status!: OrderStatus;

  /** DECIMAL(18,2) as the exact string MySQL returns. */
  @Column({ type: 'decimal', precision: 18, scale: 2 })
  total!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 100, nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'failure_reason', type: 'varchar', length: 200, nullable: true })
  failureReason!: string | null;

  /** Set once the job is in the queue; NULL rows are the sweeper's outbox. */
  @Column({ name: 'queued_at', type: 'datetime', precision: 3, nullable: true })
  queuedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;

  @OneToMany(() => OrderLine, (line) => line.order)
  lines!: OrderLine[];
}

@Entity('order_lines')
@Check('CHK_order_lines_quantity', '`quantity` > 0')
export class OrderLine {
  @PrimaryColumn({ name: 'order_id', type: 'int' })
  orderId!: number;

  @PrimaryColumn({ name: 'line_no', type: 'smallint' })
  lineNo!: number;

  @Column({ name: 'product_id', type: 'int' })
  productId!: number;

  @Column({ type: 'int' })
  quantity!: number;

  /** The price when the order was placed. */
  @Column({ name: 'unit_price', type: 'decimal', precision: 12, scale: 2 })
  unitPrice!: string;

  @ManyToOne(() => Order, (order) => order.lines, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id', foreignKeyConstraintName: 'FK_order_lines_order' })
  order!: Order;
}
