import { ApiPropertyOptional } from '@nestjs/swagger';
import { LimitQuery, MAX_INT, PageQuery, Trimmed } from '@stockroom/core';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class ListProductsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Case-insensitive search in product names', maxLength: 100, example: 'lamp' })
  @IsOptional()
  @Trimmed()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ description: 'Only the products in this category (its id; not those of its subcategories). 404 CATEGORY_NOT_FOUND when there is none', minimum: 1, maximum: MAX_INT, example: 3 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_INT)
  category?: number;
}

export class PopularProductsQuery extends LimitQuery {}
