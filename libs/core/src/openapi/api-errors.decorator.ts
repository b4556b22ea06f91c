import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorResponse } from '../errors/error-response';

/**
 * Documents the error answers of a route: `@ApiErrors({ 404: ['PRODUCT_NOT_FOUND'] })`, each with
 * an example of the one error body.
 */
export function ApiErrors(codesByStatus: Record<number, string[]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(codesByStatus).map(([status, codes]) =>
      ApiResponse({
        status: Number(status),
        description: `${STATUS_CODES[Number(status)]}: ${codes.join(', ')}`,
        type: ErrorResponse,
        example: { statusCode: Number(status), error: STATUS_CODES[Number(status)], code: codes[0], message: exampleMessage(codes[0]) },
      }),
    ),
  );
}

function exampleMessage(code: string): string {
  return code
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());
}
