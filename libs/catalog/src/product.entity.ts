import { bigintAsNumber } from '@stockroom/database';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';


@Entity('products')
@Check('CHK_products_stock', '`stock` >= 0')
@Check('CHK_products_price', '`price` >= 0')
@Check('CHK_products_reserved', '`reserved` >= 0 AND `reserved` <= `stock`')
export class Product {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Index('UQ_products_sku', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  sku!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text' })
  description!: string;

  /** DECIMAL(12,2), kept as the exact string MySQL returns; never a float. */
  @Column({ type: 'decimal', precision: 12, scale: 2 })
  price!: string;

  @Column({ type: 'int', default: 0 })
  stock!: number;

  /** Units promised to pending orders; `stock - reserved` is what can still be sold. */
  @Column({ type: 'int', default: 0 })
  reserved!: number;

  /** The newest lock fencing token applied to this row (inventory adjustments). */
  @Column({ type: 'bigint', default: 0, select: false, transformer: bigintAsNumber })
  fence!: number;

  /** The category the product is in (null: none); the categories lib checks it on every write (ProductCategories). */
  @Index('IDX_products_category')
  @Column({ name: 'category_id', type: 'int', nullable: true })
  categoryId!: number | null;

  /** Not indexed: written behind for every product viewed (see DropProductsViewsIndex1764370000000). */
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  views!: number;

  /** Bumped by every write in the same UPDATE statement; caches compare it to refuse stale rows. */
  @Column({ type: 'int', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  /** Moved by every stock change too (not by view counts): the availability board's cursor. */
  @Index('IDX_products_updated_at')
  @UpdateDateColumn({
    name: 'updated_at',
    type: 'datetime',
    precision: 3,
    default: () => 'CURRENT_TIMESTAMP(3)',
    onUpdate: 'CURRENT_TIMESTAMP(3)',
  })
  updatedAt!: Date;
}
