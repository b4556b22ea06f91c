import { OmitType, PartialType } from '@nestjs/swagger';
import { CreateProductDto } from './create-product.dto';

/** Stock is not patchable: stock changes go through inventory adjustments and their ledger. */
export class UpdateProductDto extends PartialType(OmitType(CreateProductDto, ['stock'] as const)) {}
