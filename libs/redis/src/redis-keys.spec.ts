import { RedisKeys } from './redis-keys';

describe('RedisKeys', () => {
  const keys = new RedisKeys('stockroom');

  it('builds {prefix}:{area}:{...}', () => {
    expect(keys.key('cache', 'product', 'id:42')).toBe('stockroom:cache:product:id%3A42');
    expect(keys.tagged('lock', 'product:42')).toBe('stockroom:lock:{product:42}');
  });

  it('encodes user input so it cannot add separators, wildcards or hash tags', () => {
    const part = RedisKeys.part('x:*}{?[a]');
    expect(part).not.toMatch(/[:*{}?[\]]/);
    expect(keys.key('cache', 'product', 'a:b')).not.toBe(keys.key('cache', 'product:a', 'b'));
  });
});
