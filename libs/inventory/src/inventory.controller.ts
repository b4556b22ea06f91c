import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ApiErrors, PageQuery, parseId, ParseIdPipe, Roles, STAFF_ROLES } from '@stockroom/core';
import { Idempotent, IdempotencyKey } from '@stockroom/idempotency';
import type { StoredResponse } from '@stockroom/idempotency';
import { InventoryService } from './inventory.service';
import type { StockLevels } from '@stockroom/catalog';
import { InventoryRepository } from './inventory.repository';
import { ReservationIntake } from './reservation-intake';
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
    private readonly reservations: ReservationIntake,
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
  @Idempotent({ scope: 'adjustment', recover: 'recoverAdjustment' })
  @ApiCreatedResponse({ type: AdjustmentResponse })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['PRODUCT_NOT_FOUND'],
    409: ['INSUFFICIENT_STOCK', 'STOCK_OUT_OF_RANGE', 'STALE_FENCING_TOKEN', 'LOCK_LOST', 'IDEMPOTENCY_IN_PROGRESS'],
    422: ['IDEMPOTENCY_KEY_REUSED'],
    423: ['LOCK_TIMEOUT'],
  })
  async adjust(@Param('productId', ParseIdPipe) productId: number, @Body() body: AdjustmentDto, @IdempotencyKey() key: string | undefined): Promise<AdjustmentResponse> {
    const { movement, levels } = await this.inventory.adjust(productId, body.delta, body.reason, { reference: key });
    return { movement: movementView(movement), levels: levelsView(levels) };
  }

  /** An adjustment's first answer from the ledger (its movement carries the key), for @Idempotent. */
  async recoverAdjustment(key: string, request: FastifyRequest): Promise<StoredResponse | undefined> {
    const productId = parseId((request.params as { productId: string }).productId);
    const movement = productId === undefined ? null : await this.repository.findMovement(productId, 'adjustment', key);
    return movement ? { status: 201, body: { movement: movementView(movement), levels: levelsView(await this.inventory.levels(movement.productId)) } } : undefined;
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
  @Idempotent({ scope: 'reservation', recover: 'recoverReservation' })
  @ApiCreatedResponse({ type: ReservationResponse })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['PRODUCT_NOT_FOUND'],
    409: ['INSUFFICIENT_STOCK', 'IDEMPOTENCY_IN_PROGRESS'],
    422: ['IDEMPOTENCY_KEY_REUSED'],
  })
  async reserve(@Body() body: ReservationDto, @IdempotencyKey() key: string | undefined): Promise<ReservationResponse> {
    const reference = body.reference ?? key ?? randomUUID();
    const movements = await this.reservations.reserve(body.items, { reference });
    return { reference, movements: movements.map(movementView) };
  }

  /** A reservation's first answer from the ledger (its movements carry the reference), for @Idempotent. */
  async recoverReservation(key: string, request: FastifyRequest): Promise<StoredResponse | undefined> {
    const reference = (request.body as { reference?: string }).reference ?? key;
    const movements = await this.repository.findMovementsByReference(reference, 'reservation');
    return movements.length > 0 ? { status: 201, body: { reference, movements: movements.map(movementView) } } : undefined;
  }
}
