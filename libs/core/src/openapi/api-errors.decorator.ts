import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorResponse } from '../errors/error-response';

/**
 * The schema of one error answer: the one error body, with `code` narrowed to the codes this
 * operation can answer with at this status (a generated client can switch over them).
 */
export function errorSchema(codes: string[]): Record<string, unknown> {
  return {
    allOf: [{ $ref: getSchemaPath(ErrorResponse) }, { type: 'object', required: ['code'], properties: { code: { type: 'string', enum: codes } } }],
  };
}

/** An example body for a status and code, for Swagger UI and generated docs. */
export function errorExample(status: number, code: string): Record<string, unknown> {
  return { statusCode: status, error: STATUS_CODES[status], code, message: exampleMessage(code) };
}

/**
 * Documents the error answers of a route: `@ApiErrors({ 404: ['PRODUCT_NOT_FOUND'] })`, each as
 * the error body with its codes as an enum, and an example.
 */
export function ApiErrors(codesByStatus: Record<number, string[]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...Object.entries(codesByStatus).map(([status, codes]) =>
      ApiResponse({
        status: Number(status),
        description: `${STATUS_CODES[Number(status)]}: ${codes.join(', ')}`,
        schema: errorSchema(codes),
        example: errorExample(Number(status), codes[0]),
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
