import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Length, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { MAX_INT, Trimmed } from '@stockroom/core';

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PRICE_PATTERN = /^\d{1,10}(\.\d{1,2})?$/;

/** Optional means "may be omitted": an explicit null is validated like any value, and refused. */
const WhenPresent = () => ValidateIf((_object, value) => value !== undefined);

export class CreateProductDto {
  @ApiProperty({ example: 'SR-000042', description: 'Unique stock-keeping unit: letters, digits, `.`, `_`, `-`; 1–64 chars' })
  @IsString()
  @Matches(SKU_PATTERN, { message: 'sku must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  sku!: string;

  @ApiProperty({ example: 'Oak Desk Lamp', minLength: 1, maxLength: 200 })
  @Trimmed()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ example: 'A warm lamp for long evenings.', maxLength: 5000, default: '' })
  @WhenPresent()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @ApiProperty({ example: '19.99', description: 'Exact decimal as a string, at most 2 fraction digits', pattern: PRICE_PATTERN.source })
  @IsString({ message: 'price must be a decimal string such as "19.99"' })
  @Matches(PRICE_PATTERN, { message: 'price must be a decimal string such as "19.99" (at most 10 integer and 2 fraction digits)' })
  price!: string;

  @ApiPropertyOptional({ example: 25, minimum: 0, maximum: MAX_INT, default: 0, description: 'Initial stock on hand' })
  @WhenPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_INT)
  stock?: number;

  @ApiPropertyOptional({ example: 3, type: Number, nullable: true, minimum: 1, maximum: MAX_INT, description: 'The category the product is in (GET /categories); null: none. 404 CATEGORY_NOT_FOUND when there is no such category' })
  // Null is a value here (no category), unlike the other optional fields.
  @ValidateIf((_object, value) => value !== undefined && value !== null)
  @IsInt()
  @Min(1)
  @Max(MAX_INT)
  categoryId?: number | null;
}
