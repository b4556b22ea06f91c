import { OmitType, PartialType } from '@nestjs/swagger';
import { CreateProductDto } from './create-product.dto';

/**
 * Stock is not patchable: stock changes go through inventory adjustments and their ledger.
 * Omitted fields stay as they are; an explicit null is validated (and refused), never written.
 */
export class UpdateProductDto extends PartialType(OmitType(CreateProductDto, ['stock'] as const), { skipNullProperties: false }) {}
