import { ApiProperty } from '@nestjs/swagger';
import type { Product } from '../product.entity';

export class ProductResponse {
  @ApiProperty({ example: 42 })
  id!: number;

  @ApiProperty({ example: 'SR-000042' })
  sku!: string;

  @ApiProperty({ example: 'Oak Desk Lamp' })
  name!: string;

  @ApiProperty({ example: 'A warm lamp for long evenings.' })
  description!: string;

  @ApiProperty({ example: '19.99', description: 'Exact decimal string' })
  price!: string;

  @ApiProperty({ example: 25, description: 'Units on hand' })
  stock!: number;

  @ApiProperty({ example: 3, type: Number, nullable: true, description: 'The category the product is in (GET /categories); null: none' })
  categoryId!: number | null;

  @ApiProperty({ example: 0 })
  views!: number;

  @ApiProperty({ example: 1, description: 'Increases with every write to the product' })
  version!: number;

  @ApiProperty({ example: '2026-11-27T08:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ example: '2026-11-27T08:00:00.000Z' })
  updatedAt!: string;

  @ApiProperty({ example: 23, description: 'Units that can still be ordered (stock minus what pending orders hold); at most about a second old' })
  available!: number;

  static from(product: Product): ProductResponse {
    return {
      id: product.id,
      sku: product.sku,
      name: product.name,
      description: product.description,
      price: product.price,
      stock: product.stock,
      // Entries cached before categories existed have no field.
      categoryId: product.categoryId ?? null,
      views: product.views,
      version: product.version,
      createdAt: product.createdAt.toISOString(),
      updatedAt: product.updatedAt.toISOString(),
      // Last: the availability board overlays it on a rendered body (AvailabilityBoard.overlay).
      available: product.stock - product.reserved,
    };
  }
}

export class ProductPageResponse {
  @ApiProperty({ type: [ProductResponse] })
  items!: ProductResponse[];

  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ example: 20 })
  limit!: number;

  @ApiProperty({ example: 137, description: 'Products matching the query, across all pages' })
  total!: number;
}
