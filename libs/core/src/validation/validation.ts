import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { FieldProblem, ValidationFailedError } from '../errors/domain-error';

/** Drops a string field's leading and trailing whitespace before it is validated. */
export const Trimmed = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** Flattens class-validator's tree into `{field: "items[0].quantity", problems}` entries. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent === '' ? error.property : /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    const own: FieldProblem[] = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Route parameters stay raw strings here: ValidationPipe would turn "1e3" or "0x10" into numbers
 * before a strict parameter pipe (ParseIdPipe) could refuse them.
 */
class StrictValidationPipe extends ValidationPipe {
  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }
}

/** Whitelist, refuse unknown fields, convert to the DTO classes, and list every bad field. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}

/** The largest value of a MySQL INT column (stock, ids). */
export const MAX_INT = 2_147_483_647;
export const MAX_ID = MAX_INT;

/** A route id (a positive INT written in plain digits), or undefined. */
export function parseId(value: unknown): number | undefined {
  const id = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(id) && id >= 1 && id <= MAX_ID ? id : undefined;
}

/** Route ids are positive INTs; anything else is a 400 naming the parameter, never a query. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    const id = parseId(value);
    if (id === undefined) {
      const field = metadata.data ?? 'id';
      throw new ValidationFailedError([{ field, problems: [`${field} must be an integer from 1 to ${MAX_ID}`] }]);
    }
    return id;
  }
}
