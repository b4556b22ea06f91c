import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { MAX_INT, Trimmed } from '@stockroom/core';
import { SLUG_PATTERN } from '../category.service';

export class CreateCategoryDto {
  @ApiProperty({ example: 'Desk Lamps', minLength: 1, maxLength: 100 })
  @Trimmed()
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({ example: 'desk-lamps', maxLength: 100, pattern: SLUG_PATTERN.source, description: 'Unique; lowercase letters, digits and single hyphens. Default: made from the name' })
  @ValidateIf((_object, value) => value !== undefined)
  @IsString()
  @Length(1, 100)
  @Matches(SLUG_PATTERN, { message: 'slug must be lowercase letters and digits, words joined by single hyphens (e.g. "desk-lamps")' })
  slug?: string;

  @ApiPropertyOptional({ example: 2, type: Number, nullable: true, minimum: 1, maximum: MAX_INT, description: 'The parent category; null or omitted: top level. 404 CATEGORY_NOT_FOUND when there is none' })
  // Null is a value here (top level).
  @ValidateIf((_object, value) => value !== undefined && value !== null)
  @IsInt()
  @Min(1)
  @Max(MAX_INT)
  parentId?: number | null;
}
