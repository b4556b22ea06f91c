import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ApiErrors, PageQuery, ParseIdPipe, Roles, STAFF_ROLES } from '@stockroom/core';
import { InventoryService } from './inventory.service';
import { IDEMPOTENCY_HEADER, IdempotencyService, replyWith } from './idempotency.service';
import { InventoryRepository, StockLevels } from './inventory.repository';
import { StockMovement } from './stock-movement.entity';
import {
  AdjustmentDto,
  AdjustmentResponse,
  MovementPageResponse,
  MovementResponse,
  ReservationDto,
  ReservationResponse,
  StockLevelsResponse,
} from './dto/inventory.dto';

const PRODUCT_PARAM = { name: 'productId', type: Number, example: 42 };
function levelsView(levels: StockLevels): StockLevelsResponse {
  return { productId: levels.productId, stock: levels.stock, reserved: levels.reserved, available: levels.available };
}

function movementView(movement: StockMovement): MovementResponse {
  return { ...movement, id: Number(movement.id), createdAt: movement.createdAt.toISOString() };
}

@ApiTags('inventory')
@Roles(...STAFF_ROLES)
@Controller('inventory')
export class InventoryController {
  constructor(
    private readonly inventory: InventoryService,
    private readonly repository: InventoryRepository,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Get(':productId')
  @ApiOperation({
    operationId: 'getStockLevels',
    summary: 'Stock on hand, reserved and available (from MySQL, never the cache)',
    description:
      'Stock on hand, reserved (promised to pending orders) and available (stock − reserved), read from the database, never the cache.',
  })
  @ApiParam(PRODUCT_PARAM)
  @ApiOkResponse({ type: StockLevelsResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async levels(@Param('productId', ParseIdPipe) productId: number): Promise<StockLevelsResponse> {
    return levelsView(await this.inventory.levels(productId));
  }

  @Post(':productId/adjustments')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'adjustStock',
    summary: 'Add or remove stock under the product lock; recorded in the ledger',
    description:
      'Adds or removes stock under the product lock (fencing token recorded in the ledger). 409 INSUFFICIENT_STOCK below zero, 409 STOCK_OUT_OF_RANGE past 2,147,483,647, 423 LOCK_TIMEOUT with Retry-After when the lock is busy. Idempotency-Key honoured.',
  })
  @ApiParam(PRODUCT_PARAM)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: AdjustmentResponse })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['PRODUCT_NOT_FOUND'],
    409: ['INSUFFICIENT_STOCK', 'STOCK_OUT_OF_RANGE', 'STALE_FENCING_TOKEN', 'LOCK_LOST', 'IDEMPOTENCY_IN_PROGRESS'],
    422: ['IDEMPOTENCY_KEY_REUSED'],
    423: ['LOCK_TIMEOUT'],
  })
  async adjust(
    @Param('productId', ParseIdPipe) productId: number,
    @Body() body: AdjustmentDto,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.validateKey(rawKey);
    const result = await this.idempotency.run(
      'adjustment',
      key,
      { productId, ...body },
      async () => {
        const { movement, levels } = await this.inventory.adjust(productId, body.delta, body.reason, { reference: key });
        return { status: 201, body: { movement: movementView(movement), levels: levelsView(levels) } };
      },
      async () => {
        const movement = key ? await this.repository.findMovement(productId, 'adjustment', key) : null;
        return movement ? { status: 201, body: { movement: movementView(movement), levels: levelsView(await this.inventory.levels(productId)) } } : undefined;
      },
    );
    return replyWith(reply, result);
  }

  @Get(':productId/movements')
  @ApiOperation({
    operationId: 'listStockMovements',
    summary: 'The stock ledger of a product, newest first',
    description:
      'The ledger of one product, newest first: every adjustment, reservation, release, sale and return with its deltas.',
  })
  @ApiParam(PRODUCT_PARAM)
  @ApiOkResponse({ type: MovementPageResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async movements(@Param('productId', ParseIdPipe) productId: number, @Query() query: PageQuery): Promise<MovementPageResponse> {
    await this.inventory.levels(productId);
    const { items, total } = await this.inventory.movements(productId, query.page, query.limit);
    return { items: items.map(movementView), page: query.page, limit: query.limit, total };
  }

  @Post('reservations')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'reserveStock',
    summary: 'Reserve stock for several products at once: all lines or none (the purchase hot path)',
    description:
      'Reserves stock on several products at once: every line or none; 409 INSUFFICIENT_STOCK names the short lines. Idempotency-Key honoured.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ReservationResponse })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['PRODUCT_NOT_FOUND'],
    409: ['INSUFFICIENT_STOCK', 'IDEMPOTENCY_IN_PROGRESS'],
    422: ['IDEMPOTENCY_KEY_REUSED'],
  })
  async reserve(
    @Body() body: ReservationDto,
    @Headers('idempotency-key') rawKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.validateKey(rawKey);
    const reference = body.reference ?? key ?? randomUUID();
    const result = await this.idempotency.run(
      'reservation',
      key,
      body,
      async () => {
        const movements = await this.inventory.reserveStock(body.items, { reference });
        return { status: 201, body: { reference, movements: movements.map(movementView) } };
      },
      async () => {
        const movements = await this.repository.findMovementsByReference(reference, 'reservation');
        return movements.length > 0 ? { status: 201, body: { reference, movements: movements.map(movementView) } } : undefined;
      },
    );
    return replyWith(reply, result);
  }
}
