import { Body, Controller, Delete, Get, HttpCode, Optional, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  ApiConditionalGet,
  ApiConditionalWrite,
  ApiErrors,
  DEFAULT_CACHE_CONTROL,
  AppConfig,
  conditionalGet,
  CurrentPrincipal,
  FastAnswer,
  FastReads,
  ifMatchPrecondition,
  JsonRepresentation,
  parseId,
  ParseIdPipe,
  PrincipalResolver,
  Public,
  publicCacheControl,
  Representations,
  Roles,
  SignedIn,
  STAFF_ROLES,
  ValidationFailedError,
  WRITTEN_ETAG,
  writtenAnswer,
} from '@stockroom/core';
import type { Principal } from '@stockroom/core';
import { RecentlyViewed, StatsService } from '@stockroom/stats';
import { ProductPrecondition, ProductService } from './product.service';
import type { Product } from './product.entity';
import type { ProductPage } from './product.repository';
import { CreateProductDto, SKU_PATTERN } from './dto/create-product.dto';
import { UpdateProductDto } from './dto/update-product.dto';
import { ListProductsQuery, PopularProductsQuery } from './dto/list-products.query';
import { ProductPageResponse, ProductResponse } from './dto/product.response';
import { productJson } from './product-json';
import { AvailabilityBoard } from './availability-board';

const ID_PARAM = { name: 'id', type: Number, example: 42, description: 'Product id (1..2147483647)' };

@ApiTags('products')
@Roles(...STAFF_ROLES)
@Controller('products')
export class ProductsController {
  private readonly cacheControl: string;
  /** Each cached page is rendered (JSON and ETag) once per availability change, on its first hit (products: see product-json). */
  private readonly pageJson: Representations<ProductPage>;

  constructor(
    private readonly products: ProductService,
    private readonly availability: AvailabilityBoard,
    private readonly stats: StatsService,
    private readonly recent: RecentlyViewed,
    config: AppConfig,
    // Absent in the worker app, which serves no HTTP.
    @Optional() private readonly principals?: PrincipalResolver,
    @Optional() fastReads?: FastReads,
  ) {
    this.cacheControl = publicCacheControl(config);
    this.pageJson = new Representations<ProductPage>(
      (page) => ({ items: page.items.map((product) => this.response(product)), page: page.page, limit: page.limit, total: page.total }),
      () => availability.version,
    );
    // The hot product reads, when the product is cached: answered before Nest's pipeline with what
    // these handlers would send (a signed-in viewer's list is updated from the session the guards
    // already looked up); anything the cache cannot answer alone goes through the handlers.
    const answer = (found: Product | undefined, request: FastifyRequest): FastAnswer | undefined =>
      found && { representation: this.json(found), served: () => this.viewed(found.id, request), cacheControl: this.cacheControlFor(request) };
    const params = (request: FastifyRequest) => request.params as Record<string, string>;
    fastReads?.register({
      controller: ProductsController,
      handler: ProductsController.prototype.byId,
      cacheControl: this.cacheControl,
      peek: (request) => {
        const id = parseId(params(request).id);
        if (id === undefined) return undefined;
        // L1 without a promise; else one Redis read of the stored rendering (a miss is left to
        // the handler, which loads).
        return (
          answer(this.products.peekById(id), request) ??
          this.products
            .findCachedJsonById(id)
            .then(
              (representation) =>
                representation && { representation: this.availability.overlay(representation, id, true), served: () => this.viewed(id, request), cacheControl: this.cacheControlFor(request) },
            )
        );
      },
    });
    fastReads?.register({
      controller: ProductsController,
      handler: ProductsController.prototype.bySku,
      cacheControl: this.cacheControl,
      peek: (request) => {
        const { sku } = params(request);
        return SKU_PATTERN.test(sku) ? answer(this.products.peekBySku(sku), request) : undefined;
      },
    });
  }

  /** Public for anonymous readers; a signed-in read records the reader's recently viewed list, so no shared cache may answer it. */
  private cacheControlFor(request: FastifyRequest): string {
    return this.principals?.mayBeSignedIn(request) ? DEFAULT_CACHE_CONTROL : this.cacheControl;
  }

  /** A cached product's rendering, with its sellable quantity as the availability board has it. */
  private json(product: Product): JsonRepresentation {
    return this.availability.overlay(productJson.of(product), product.id);
  }

  /** If-Match against the ETag a GET of this product would answer now (its rendering, as `byId` serves it). */
  private matching(request: FastifyRequest): ProductPrecondition | undefined {
    return ifMatchPrecondition(request, (current: Product) => this.json(current).etag);
  }

  private response(product: Product): ProductResponse {
    const response = ProductResponse.from(product);
    response.available = this.availability.available(product.id) ?? response.available;
    return response;
  }

  /** A view counts for everyone; a signed-in viewer's own list is updated too, without delaying the answer. */
  private viewed(productId: number, request: FastifyRequest): void {
    this.stats.recordView(productId);
    if (!this.principals?.mayBeSignedIn(request)) return;
    void this.principals
      .resolve(request)
      .then((principal) => principal && this.recent.record(principal.userId, productId))
      .catch(() => undefined);
  }

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'listProducts',
    summary: 'List products, ordered by id, optionally searching names',
    description:
      'Ordered by id. `limit` 1..100 (default 20); `page × limit` at most 10,000 (deeper is 400: narrow with `q`). `q` searches names case-insensitively (`%` and `_` are literal) and is counted in the search ranking. `category` keeps the products of one category (not of its subcategories); an unknown category is 404. Browse pages 1–20 are cached, a category\'s for up to a day, every product write retiring them; searches and deeper pages are read from the database. Anonymous answers are publicly cacheable for a few seconds; send the ETag back as If-None-Match for a 304.',
  })
  @ApiConditionalGet(ProductPageResponse)
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['CATEGORY_NOT_FOUND'] })
  async list(@Query() query: ListProductsQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation | undefined> {
    const page = await this.products.list(query);
    const answer = conditionalGet(request, reply, this.pageJson.of(page), this.cacheControl);
    if (query.q) this.stats.recordSearch(query.q);
    return answer;
  }

  @Get('popular')
  @Public()
  @ApiOperation({
    operationId: 'listPopularProducts',
    summary: 'Most viewed products, from the live view ranking (MySQL when Redis has none)',
    description:
      'Most viewed first, from the live view ranking (the database\'s view counts, ties by id, while the ranking is empty). `limit` 1..100 (default 10). Conditional like every catalogue read (ETag, 304).',
  })
  @ApiConditionalGet([ProductResponse])
  @ApiErrors({ 400: ['VALIDATION_FAILED'] })
  async popular(@Query() query: PopularProductsQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation | undefined> {
    const products = await this.products.mostViewed(query.limit);
    return conditionalGet(request, reply, JsonRepresentation.array(products.map((product) => this.json(product))), this.cacheControl);
  }

  @Get('recently-viewed')
  @SignedIn()
  @ApiOperation({
    operationId: 'listRecentlyViewedProducts',
    summary: `The products you viewed last, newest first (at most ${RecentlyViewed.KEEP}; deleted ones left out)`,
    description:
      'The products the signed-in user viewed last, newest first; deleted products are left out. Never cached by shared caches.',
  })
  @ApiOkResponse({ type: [ProductResponse] })
  async recentlyViewed(@CurrentPrincipal() principal: Principal): Promise<ProductResponse[]> {
    const ids = await this.recent.list(principal.userId);
    return (await this.products.findMany(ids)).map((product) => this.response(product));
  }

  @Get('by-sku/:sku')
  @Public()
  @ApiOperation({
    operationId: 'getProductBySku',
    summary: 'One product by SKU',
    description:
      'One product by its SKU; counts a view. Conditional (ETag, If-None-Match → 304) and publicly cacheable for a few seconds when anonymous.',
  })
  @ApiParam({ name: 'sku', example: 'SR-000042' })
  @ApiConditionalGet(ProductResponse)
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async bySku(@Param('sku') sku: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation | undefined> {
    if (!SKU_PATTERN.test(sku)) {
      throw new ValidationFailedError([{ field: 'sku', problems: ['sku must be 1-64 letters, digits, ".", "_" or "-"'] }]);
    }
    const product = await this.products.getBySku(sku);
    const answer = conditionalGet(request, reply, this.json(product), this.cacheControlFor(request));
    this.viewed(product.id, request);
    return answer;
  }

  @Get(':id')
  @Public()
  @ApiOperation({
    operationId: 'getProduct',
    summary: 'One product by id',
    description:
      'One product; counts a view (and, signed in, adds it to your recently viewed list). Conditional (ETag, If-None-Match → 304); a PATCH changes the ETag at once. Publicly cacheable for a few seconds when anonymous.',
  })
  @ApiParam(ID_PARAM)
  @ApiConditionalGet(ProductResponse)
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'] })
  async byId(@Param('id', ParseIdPipe) id: number, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation | undefined> {
    const product = await this.products.getById(id);
    const answer = conditionalGet(request, reply, this.json(product), this.cacheControlFor(request));
    this.viewed(id, request);
    return answer;
  }

  @Post()
  @ApiOperation({
    operationId: 'createProduct',
    summary: 'Create a product',
    description:
      'Creates a product; an initial `stock` is recorded in the ledger. 409 PRODUCT_SKU_TAKEN when the SKU exists; 404 CATEGORY_NOT_FOUND when `categoryId` names no category.',
  })
  @ApiCreatedResponse({ type: ProductResponse, headers: WRITTEN_ETAG })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['CATEGORY_NOT_FOUND'],
    409: ['PRODUCT_SKU_TAKEN'],
    413: ['PAYLOAD_TOO_LARGE'],
    415: ['UNSUPPORTED_MEDIA_TYPE'],
  })
  async create(@Body() body: CreateProductDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation> {
    return writtenAnswer(reply, this.json(await this.products.create(body)));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateProduct',
    summary: 'Change some fields of a product (stock changes go through inventory)',
    description:
      'Changes any of sku, name, description, price and categoryId (null: no category), and bumps `version` (an empty patch changes nothing). Stock changes go through the inventory routes. With `If-Match` (the ETag of a GET), only while the product is still as that GET showed it: 412 PRECONDITION_FAILED otherwise, so two editors never overwrite each other unseen.',
  })
  @ApiParam(ID_PARAM)
  @ApiConditionalWrite()
  @ApiOkResponse({ type: ProductResponse, headers: WRITTEN_ETAG })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['PRODUCT_NOT_FOUND', 'CATEGORY_NOT_FOUND'],
    409: ['PRODUCT_SKU_TAKEN'],
    413: ['PAYLOAD_TOO_LARGE'],
    415: ['UNSUPPORTED_MEDIA_TYPE'],
  })
  async update(@Param('id', ParseIdPipe) id: number, @Body() body: UpdateProductDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation> {
    return writtenAnswer(reply, this.json(await this.products.update(id, body, this.matching(request))));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteProduct',
    summary: 'Delete a product',
    description:
      'Refused with 409 PRODUCT_HAS_RESERVATIONS while pending orders hold some of its stock. With `If-Match`, only while the product is still as that ETag\'s GET showed it (412 PRECONDITION_FAILED otherwise).',
  })
  @ApiParam(ID_PARAM)
  @ApiConditionalWrite()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PRODUCT_NOT_FOUND'], 409: ['PRODUCT_HAS_RESERVATIONS'] })
  async delete(@Param('id', ParseIdPipe) id: number, @Req() request: FastifyRequest): Promise<void> {
    await this.products.delete(id, this.matching(request));
  }
}
