import { ApiPropertyOptional } from '@nestjs/swagger';
import { LimitQuery, PageQuery } from '@stockroom/core';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class ListProductsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Case-insensitive search in product names', maxLength: 100, example: 'lamp' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class PopularProductsQuery extends LimitQuery {}
