import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQuery } from '@stockroom/core';
import { StockLinesDto } from '@stockroom/inventory';
import { Order, ORDER_STATUSES } from '../order.entity';
import type { OrderStatus } from '../order.entity';

export class PlaceOrderDto extends StockLinesDto {}

export class ListOrdersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ORDER_STATUSES, enumName: 'OrderStatus' })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;

  @ApiPropertyOptional({ description: 'Staff only: one customer\'s orders (ignored for customers, who always see their own)', example: 7 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  userId?: number;
}

export class PlacedOrderResponse {
  @ApiProperty({ example: 1201 }) id!: number;
  @ApiProperty({ enum: ['pending'], example: 'pending' }) status!: 'pending';
}

export class OrderLineResponse {
  @ApiProperty({ example: 42 }) productId!: number;
  @ApiProperty({ example: 2 }) quantity!: number;
  @ApiProperty({ example: '19.99', description: 'Price when the order was placed' }) unitPrice!: string;
}

export class OrderResponse {
  @ApiProperty({ example: 1201 }) id!: number;
  @ApiProperty({ example: 7 }) userId!: number;
  @ApiProperty({ enum: ORDER_STATUSES, enumName: 'OrderStatus' }) status!: OrderStatus;
  @ApiProperty({ example: '39.98', description: 'Exact decimal' }) total!: string;
  @ApiProperty({ type: [OrderLineResponse] }) lines!: OrderLineResponse[];
  @ApiPropertyOptional({ example: 'payment declined', nullable: true, type: String }) failureReason!: string | null;
  @ApiProperty({ example: '2026-11-27T08:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-27T08:00:01.000Z' }) updatedAt!: string;

  static from(order: Order): OrderResponse {
    return {
      id: order.id,
      userId: order.userId,
      status: order.status,
      total: order.total,
      lines: order.lines.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })),
      failureReason: order.failureReason,
      createdAt: order.createdAt.toISOString(),
      updatedAt: order.updatedAt.toISOString(),
    };
  }
}

export class OrderPageResponse {
  @ApiProperty({ type: [OrderResponse] }) items!: OrderResponse[];
  @ApiProperty({ example: 1 }) page!: number;
  @ApiProperty({ example: 20 }) limit!: number;
  @ApiProperty({ example: 3 }) total!: number;
}
