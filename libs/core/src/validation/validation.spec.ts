import { ValidationError } from 'class-validator';
import { ValidationFailedError } from '../errors/domain-error';
import { flattenValidationErrors, ParseIdPipe } from './validation';

function error(property: string, constraints?: Record<string, string>, children: ValidationError[] = []): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

describe('flattenValidationErrors', () => {
  it('names nested and array fields by path', () => {
    const tree = [
      error('name', { isString: 'name must be a string' }),
      error('items', undefined, [error('0', undefined, [error('quantity', { min: 'too small', isInt: 'not an int' })])]),
    ];
    expect(flattenValidationErrors(tree)).toEqual([
      { field: 'name', problems: ['name must be a string'] },
      { field: 'items[0].quantity', problems: ['too small', 'not an int'] },
    ]);
  });
});

describe('ParseIdPipe', () => {
  const pipe = new ParseIdPipe();
  const meta = { type: 'param' as const, data: 'id' };

  it.each(['1', '42', '2147483647'])('accepts %s', (value) => {
    expect(pipe.transform(value, meta)).toBe(Number(value));
  });

  it.each(['0', '-1', '2147483648', '1e3', '0x10', ' 1', '1.0', '', 'abc', '99999999999'])('refuses %p', (value) => {
    expect(() => pipe.transform(value, meta)).toThrow(ValidationFailedError);
  });
});
