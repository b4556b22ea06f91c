import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, CurrentPrincipal, EventStream, ParseIdPipe, principalOf, SignedIn } from '@stockroom/core';
import type { Principal } from '@stockroom/core';
import { Idempotent, IdempotencyKey } from '@stockroom/idempotency';
import type { StoredResponse } from '@stockroom/idempotency';
import { OrdersService, PlacedOrder } from './orders.service';
import { ListOrdersQuery, OrderPageResponse, OrderResponse, PlaceOrderDto, PlacedOrderResponse } from './dto/orders.dto';

@ApiTags('orders')
@SignedIn()
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @ApiOperation({
    operationId: 'placeOrder',
    summary: 'Place an order: stock is reserved now, payment and confirmation happen in the worker',
    description:
      'Reserves the stock of every line at once (all or nothing; 409 INSUFFICIENT_STOCK names the short lines) and answers 202 with Location once the order is committed; the worker then takes payment and confirms or fails the order. Orders arriving together are decided in arrival order and written together (group commit). 1–50 lines, 1–1000 each; lines of one product are added. Idempotency-Key (per user) makes retries safe: the same key and body get the first answer.',
  })
  @HttpCode(202)
  @Idempotent({ scope: 'order', perUser: true, recover: 'recoverPlacement' })
  @ApiAcceptedResponse({ type: PlacedOrderResponse, description: 'Accepted; `Location` is the order, poll it for `confirmed` or `failed`' })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['PRODUCT_NOT_FOUND'],
    409: ['INSUFFICIENT_STOCK', 'IDEMPOTENCY_IN_PROGRESS'],
    422: ['IDEMPOTENCY_KEY_REUSED'],
  })
  async place(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PlaceOrderDto,
    @IdempotencyKey() key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PlacedOrder> {
    const placed = await this.orders.place(principal, body.items, key);
    void reply.header('Location', `/orders/${placed.id}`);
    return placed;
  }

  /** A placement's first answer from MySQL (the order holds the user's key), for @Idempotent. */
  async recoverPlacement(key: string, request: FastifyRequest): Promise<StoredResponse | undefined> {
    const principal = principalOf(request);
    const placed = principal && (await this.orders.placedWith(principal, key));
    return placed ? { status: 202, body: placed, headers: { location: `/orders/${placed.id}` } } : undefined;
  }

  @Get()
  @ApiOperation({
    operationId: 'listOrders',
    summary: 'Orders, newest first: your own, or (staff) everyone\'s',
    description:
      'Newest first: customers get their own, staff everyone\'s (`userId` filters).',
  })
  @ApiOkResponse({ type: OrderPageResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListOrdersQuery): Promise<OrderPageResponse> {
    const { items, total } = await this.orders.list(principal, query);
    return { items: items.map(OrderResponse.from), page: query.page, limit: query.limit, total };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getOrder',
    summary: 'One order (its owner, or staff)',
    description:
      'One order with its lines and, once failed, why. Someone else\'s order is 404 ORDER_NOT_FOUND (its existence is not revealed).',
  })
  @ApiParam({ name: 'id', type: Number, example: 1201 })
  @ApiOkResponse({ type: OrderResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['ORDER_NOT_FOUND'] })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', ParseIdPipe) id: number): Promise<OrderResponse> {
    return OrderResponse.from(await this.orders.get(principal, id));
  }

  @Get(':id/events')
  @ApiOperation({
    operationId: 'followOrder',
    summary: 'Follow an order\'s status as Server-Sent Events (its owner, or staff)',
    description:
      'A `text/event-stream` (use an EventSource): a `status` event with the current status at once, then one per change, wherever it happened (the worker, another instance); the stream ends after `confirmed` or `failed`. Each event\'s data is `{"id", "status", "failureReason"}`. A comment line every 15 s keeps proxies from closing a quiet stream; after a dropped connection the client reconnects in about 2 s and gets the current status again. Someone else\'s order is 404 ORDER_NOT_FOUND, answered as JSON before any stream starts.',
  })
  @ApiParam({ name: 'id', type: Number, example: 1201 })
  @ApiOkResponse({
    description: '`event: status` lines, each with `data: {"id":1201,"status":"pending","failureReason":null}`, until a final status',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'event: status\ndata: {"id":1201,"status":"confirmed","failureReason":null}\n\n' } } },
  })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['ORDER_NOT_FOUND'] })
  async follow(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const order = await this.orders.get(principal, id);
    await this.orders.streamStatus(order, EventStream.open(request, reply));
  }
}
