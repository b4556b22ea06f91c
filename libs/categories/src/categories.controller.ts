import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiConditionalGet, ApiConditionalWrite, ApiErrors, AppConfig, conditionalGet, ifMatchPrecondition, JsonRepresentation, ParseIdPipe, Public, publicCacheControl, Representations, Roles, STAFF_ROLES, WRITTEN_ETAG, writtenAnswer } from '@stockroom/core';
import { Category } from './category.entity';
import { CategoryService } from './category.service';
import type { CategoryPrecondition } from './category.repository';
import { CategoryResponse } from './dto/category.response';
import { CreateCategoryDto } from './dto/create-category.dto';
import { UpdateCategoryDto } from './dto/update-category.dto';

const ID_PARAM = { name: 'id', type: Number, example: 3, description: 'Category id (1..2147483647)' };

/** Reads are public and conditional like the catalogue's; writes are staff only (the controller's default). */
@ApiTags('categories')
@Roles(...STAFF_ROLES)
@Controller('categories')
export class CategoriesController {
  private readonly cacheControl: string;
  /** One rendering per cached list (an L1 hit returns the same array, so the same JSON and ETag). */
  private readonly listJson = new Representations<Category[]>((categories) => categories.map(CategoryResponse.from));
  private readonly oneJson = new Representations<Category>(CategoryResponse.from);

  constructor(
    private readonly categories: CategoryService,
    config: AppConfig,
  ) {
    this.cacheControl = publicCacheControl(config);
  }

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'listCategories',
    summary: 'Every category, by name',
    description:
      'All categories in one list, by name; `parentId` gives the tree (null at the top level). Cached for a day and retired by every category write. Conditional (ETag, If-None-Match → 304) and publicly cacheable for a few seconds.',
  })
  @ApiConditionalGet([CategoryResponse])
  async list(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation | undefined> {
    return conditionalGet(request, reply, this.listJson.of(await this.categories.all()), this.cacheControl);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ operationId: 'getCategory', summary: 'One category by id', description: 'From the same cached list as GET /categories. Conditional (ETag, 304).' })
  @ApiParam(ID_PARAM)
  @ApiConditionalGet(CategoryResponse)
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['CATEGORY_NOT_FOUND'] })
  async byId(@Param('id', ParseIdPipe) id: number, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation | undefined> {
    return conditionalGet(request, reply, this.oneJson.of(await this.categories.get(id)), this.cacheControl);
  }

  @Post()
  @ApiOperation({
    operationId: 'createCategory',
    summary: 'Create a category (staff)',
    description: 'The slug defaults to one made from the name. 409 CATEGORY_SLUG_TAKEN when the slug is used; 404 CATEGORY_NOT_FOUND when `parentId` names no category.',
  })
  @ApiCreatedResponse({ type: CategoryResponse, headers: WRITTEN_ETAG })
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'MALFORMED_JSON'], 404: ['CATEGORY_NOT_FOUND'], 409: ['CATEGORY_SLUG_TAKEN'], 413: ['PAYLOAD_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'] })
  async create(@Body() body: CreateCategoryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation> {
    return writtenAnswer(reply, this.oneJson.of(await this.categories.create(body)));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateCategory',
    summary: 'Rename or move a category (staff)',
    description:
      'Changes any of name, slug and parentId (null: top level). 409 CATEGORY_CYCLE when the new parent is the category itself or one of its descendants. With `If-Match`, only while the category (as stored, read under the write\'s lock) still has that ETag: 412 PRECONDITION_FAILED otherwise.',
  })
  @ApiParam(ID_PARAM)
  @ApiConditionalWrite()
  @ApiOkResponse({ type: CategoryResponse, headers: WRITTEN_ETAG })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
    404: ['CATEGORY_NOT_FOUND'],
    409: ['CATEGORY_SLUG_TAKEN', 'CATEGORY_CYCLE'],
    413: ['PAYLOAD_TOO_LARGE'],
    415: ['UNSUPPORTED_MEDIA_TYPE'],
  })
  async update(@Param('id', ParseIdPipe) id: number, @Body() body: UpdateCategoryDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<JsonRepresentation> {
    return writtenAnswer(reply, this.oneJson.of(await this.categories.update(id, body, this.matching(request))));
  }

  /** If-Match against the ETag `byId` gives this category's rendering. */
  private matching(request: FastifyRequest): CategoryPrecondition | undefined {
    return ifMatchPrecondition(request, (current: Category) => this.oneJson.of(current).etag);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteCategory',
    summary: 'Delete an empty category (staff)',
    description: '409 CATEGORY_IN_USE while products or subcategories are in it. With `If-Match`, only while the category still has that ETag (412 PRECONDITION_FAILED otherwise).',
  })
  @ApiParam(ID_PARAM)
  @ApiConditionalWrite()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['CATEGORY_NOT_FOUND'], 409: ['CATEGORY_IN_USE'] })
  async delete(@Param('id', ParseIdPipe) id: number, @Req() request: FastifyRequest): Promise<void> {
    await this.categories.delete(id, this.matching(request));
  }
}
