import { stableStringify } from '@stockroom/core';
import { argumentsKey } from './cache-key';

describe('cache keys from arguments', () => {
  it('ignores property order at every depth', () => {
    expect(stableStringify({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(stableStringify({ a: { c: [3, { e: 2, f: 1 }], d: 2 }, b: 1 }));
    expect(argumentsKey('S.m', [{ page: 1, q: 'x' }])).toBe(argumentsKey('S.m', [{ q: 'x', page: 1 }]));
  });

  it('differs for different arguments, methods and array order', () => {
    expect(argumentsKey('S.m', [1])).not.toBe(argumentsKey('S.m', [2]));
    expect(argumentsKey('S.m', [1])).not.toBe(argumentsKey('S.n', [1]));
    expect(argumentsKey('S.m', [[1, 2]])).not.toBe(argumentsKey('S.m', [[2, 1]]));
  });

  it('is readable: the method, then a short digest', () => {
    expect(argumentsKey('ProductService.popular', [10])).toMatch(/^ProductService\.popular:[A-Za-z0-9_-]{27}$/);
  });
});
