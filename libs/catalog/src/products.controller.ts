import { Body, Controller, Delete, Get, HttpCode, Optional, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CurrentPrincipal, ParseIdPipe, PrincipalResolver, Public, Roles, SignedIn, STAFF_ROLES, ValidationFailedError } from '@stockroom/core';
import type { Principal } from '@stockroom/core';
import { RecentlyViewed, StatsService } from '@stockroom/stats';
import { ProductService } from './product.service';
import { CreateProductDto, SKU_PATTERN } from './dto/create-product.dto';
import { UpdateProductDto } from './dto/update-product.dto';
import { ListProductsQuery, PopularProductsQuery } from './dto/list-products.query';
import { ProductPageResponse, ProductResponse } from './dto/product.response';

const ID_PARAM = { name: 'id', type: Number, example: 42, description: 'Product id (1..2147483647)' };

@ApiTags('products')
@Roles(...STAFF_ROLES)
@Controller('products')
export class ProductsController {
  constructor(
    private readonly products: ProductService,
    private readonly stats: StatsService,
    private readonly recent: RecentlyViewed,
    // Absent in the worker app, which serves no HTTP.
    @Optional() private readonly principals?: PrincipalResolver,
  ) {}

  /** A view counts for everyone; a signed-in viewer's own list is updated too, without delaying the answer. */
  private viewed(productId: number, request: FastifyRequest): void {
    this.stats.recordView(productId);
    void this.principals
      ?.resolve(request)
      .then((principal) => principal && this.recent.record(principal.userId, productId))
      .catch(() => undefined);
  }

  @Get()
  @Public()
  @ApiOperation({ summary: 'List products, ordered by id, optionally searching names' })
  @ApiOkResponse({ type: ProductPageResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'] })
  async list(@Query() query: ListProductsQuery): Promise<ProductPageResponse> {
    const { items, total } = await this.products.list(query);
    if (query.q) this.stats.recordSearch(query.q);
    return { items: items.map(ProductResponse.from), page: query.page, limit: query.limit, total };
  }

  @Get('popular')
  @Public()
  @ApiOperation({ summary: 'Most viewed products, from the live view ranking (MySQL when Redis has none)' })
  @ApiOkResponse({ type: [ProductResponse] })
  @ApiErrors({ 400: ['VALIDATION_FAILED'] })
  async popular(@Query() query: PopularProductsQuery): Promise<ProductResponse[]> {
    return (await this.products.mostViewed(query.limit)).map(ProductResponse.from);
  }

  @Get('recently-viewed')
  @SignedIn()
  @ApiOperation({ summary: `The products you viewed last, newest first (at most ${RecentlyViewed.KEEP}; deleted ones left out)` })
  @ApiOkResponse({ type: [ProductResponse] })
  async recentlyViewed(@CurrentPrincipal() principal: Principal): Promise<ProductResponse[]> {
    const ids = await this.recent.list(principal.userId);
    return (await this.products.findMany(ids)).map(ProductResponse.from);
  }

  @Get('by-sku/:sku')
  @Public()
  @ApiOperation({ summary: 'One product by SKU' })
  @ApiParam({ name: 'sku', example: 'SR-000042' })
  @ApiOkResponse({ type: ProductResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async bySku(@Param('sku') sku: string, @Req() request: FastifyRequest): Promise<ProductResponse> {
    if (!SKU_PATTERN.test(sku)) {
      throw new ValidationFailedError([{ field: 'sku', problems: ['sku must be 1-64 letters, digits, ".", "_" or "-"'] }]);
    }
    const product = await this.products.getBySku(sku);
    this.viewed(product.id, request);
    return ProductResponse.from(product);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'One product by id' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ProductResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async byId(@Param('id', ParseIdPipe) id: number, @Req() request: FastifyRequest): Promise<ProductResponse> {
    const product = await this.products.getById(id);
    this.viewed(id, request);
    return ProductResponse.from(product);
  }

  @Post()
  @ApiOperation({ summary: 'Create a product' })
  @ApiCreatedResponse({ type: ProductResponse })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    409: ['PRODUCT_SKU_TAKEN'],
    413: ['PAYLOAD_TOO_LARGE'],
    415: ['UNSUPPORTED_MEDIA_TYPE'],
  })
  async create(@Body() body: CreateProductDto): Promise<ProductResponse> {
    return ProductResponse.from(await this.products.create(body));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change some fields of a product (stock changes go through inventory)' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ProductResponse })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['PRODUCT_NOT_FOUND'],
    409: ['PRODUCT_SKU_TAKEN'],
    413: ['PAYLOAD_TOO_LARGE'],
    415: ['UNSUPPORTED_MEDIA_TYPE'],
  })
  async update(@Param('id', ParseIdPipe) id: number, @Body() body: UpdateProductDto): Promise<ProductResponse> {
    return ProductResponse.from(await this.products.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a product' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async delete(@Param('id', ParseIdPipe) id: number): Promise<void> {
    await this.products.delete(id);
  }
}
