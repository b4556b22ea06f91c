import { ApiProperty } from '@nestjs/swagger';
import type { Category } from '../category.entity';

export class CategoryResponse {
  @ApiProperty({ example: 3 })
  id!: number;

  @ApiProperty({ example: 'Desk Lamps' })
  name!: string;

  @ApiProperty({ example: 'desk-lamps' })
  slug!: string;

  @ApiProperty({ example: 2, type: Number, nullable: true, description: 'The parent category; null at the top level' })
  parentId!: number | null;

  @ApiProperty({ example: '2026-12-01T08:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ example: '2026-12-01T08:00:00.000Z' })
  updatedAt!: string;

  static from(category: Category): CategoryResponse {
    return {
      id: category.id,
      name: category.name,
      slug: category.slug,
      parentId: category.parentId,
      createdAt: category.createdAt.toISOString(),
      updatedAt: category.updatedAt.toISOString(),
    };
  }
}
