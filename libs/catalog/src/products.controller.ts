import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ParseIdPipe, Public, Roles, STAFF_ROLES, ValidationFailedError } from '@stockroom/core';
import { StatsService } from '@stockroom/stats';
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
  ) {}

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

  @Get('by-sku/:sku')
  @Public()
  @ApiOperation({ summary: 'One product by SKU' })
  @ApiParam({ name: 'sku', example: 'SR-000042' })
  @ApiOkResponse({ type: ProductResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async bySku(@Param('sku') sku: string): Promise<ProductResponse> {
    if (!SKU_PATTERN.test(sku)) {
      throw new ValidationFailedError([{ field: 'sku', problems: ['sku must be 1-64 letters, digits, ".", "_" or "-"'] }]);
    }
    const product = await this.products.getBySku(sku);
    this.stats.recordView(product.id);
    return ProductResponse.from(product);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'One product by id' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ProductResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async byId(@Param('id', ParseIdPipe) id: number): Promise<ProductResponse> {
    const product = await this.products.getById(id);
    this.stats.recordView(id);
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
