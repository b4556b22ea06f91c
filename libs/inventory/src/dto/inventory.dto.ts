import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsString, Length, Matches, Max, Min, NotEquals, ValidateIf, ValidateNested } from 'class-validator';
import { MAX_ID, Trimmed } from '@stockroom/core';
import { REFERENCE_PATTERN } from '../stock-movement.entity';

export class AdjustmentDto {
  @ApiProperty({ example: -3, description: 'Units to add (positive) or remove (negative); not 0', minimum: -1_000_000, maximum: 1_000_000 })
  @IsInt()
  @NotEquals(0)
  @Min(-1_000_000)
  @Max(1_000_000)
  delta!: number;

  @ApiProperty({ example: 'damaged in transit', minLength: 1, maxLength: 200 })
  @Trimmed()
  @IsString()
  @Length(1, 200)
  reason!: string;
}

export class StockLineDto {
  @ApiProperty({ example: 42, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  productId!: number;

  @ApiProperty({ example: 2, minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  quantity!: number;
}

/** 1..50 lines; lines of one product are added together. Reservations and orders take the same shape. */
export class StockLinesDto {
  @ApiProperty({ type: [StockLineDto], minItems: 1, maxItems: 50, description: 'Lines of one product are added together' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => StockLineDto)
  items!: StockLineDto[];
}

export class ReservationDto extends StockLinesDto {
  @ApiPropertyOptional({ example: 'cart-7f3a', description: 'Your reference for this reservation (defaults to the Idempotency-Key)' })
  @ValidateIf((_o, v) => v !== undefined)
  @IsString()
  @Matches(REFERENCE_PATTERN)
  reference?: string;
}

export class StockLevelsResponse {
  @ApiProperty({ example: 42 }) productId!: number;
  @ApiProperty({ example: 120, description: 'On hand' }) stock!: number;
  @ApiProperty({ example: 20, description: 'Promised to pending orders' }) reserved!: number;
  @ApiProperty({ example: 100, description: 'stock - reserved' }) available!: number;
}

export class MovementResponse {
  @ApiProperty({ example: 981 }) id!: number;
  @ApiProperty({ example: 42 }) productId!: number;
  @ApiProperty({ enum: ['adjustment', 'reservation', 'release', 'sale', 'return'], enumName: 'MovementType' }) type!: string;
  @ApiProperty({ example: -3 }) stockDelta!: number;
  @ApiProperty({ example: 0 }) reservedDelta!: number;
  @ApiProperty({ example: 'damaged in transit' }) reason!: string;
  @ApiProperty({ example: 'adj-2026-11-27-001', nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) actor!: string | null;
  @ApiProperty({ example: 17, nullable: true, type: Number, description: 'Lock fencing token the change was made under' })
  fencingToken!: number | null;
  @ApiProperty({ example: '2026-11-27T08:00:00.000Z' }) createdAt!: string;
}

export class AdjustmentResponse {
  @ApiProperty({ type: MovementResponse }) movement!: MovementResponse;
  @ApiProperty({ type: StockLevelsResponse }) levels!: StockLevelsResponse;
}

export class MovementPageResponse {
  @ApiProperty({ type: [MovementResponse] }) items!: MovementResponse[];
  @ApiProperty({ example: 1 }) page!: number;
  @ApiProperty({ example: 20 }) limit!: number;
  @ApiProperty({ example: 3 }) total!: number;
}

export class ReservationResponse {
  @ApiProperty({ example: 'cart-7f3a' }) reference!: string;
  @ApiProperty({ type: [MovementResponse] }) movements!: MovementResponse[];
}
