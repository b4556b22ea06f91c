import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one error body every route answers with; documented once and referenced by every route. */
export class ErrorResponse {
  @ApiProperty({ example: 404 })
  statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: 'HTTP reason phrase' })
  error!: string;

  @ApiProperty({ example: 'PRODUCT_NOT_FOUND', description: 'Stable machine-readable code' })
  code!: string;

  @ApiProperty({ example: 'Product 42 not found' })
  message!: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'object' }, { type: 'array', items: {} }],
    description: 'Extra context; for VALIDATION_FAILED a list of `{field, problems}`',
    example: [{ field: 'price', problems: ['price must be a decimal with at most 2 fraction digits'] }],
  })
  details?: unknown;
}
