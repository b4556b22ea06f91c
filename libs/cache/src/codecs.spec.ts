import { JsonCodec, MsgpackCodec } from './codecs';

const samples: Array<[string, unknown]> = [
  ['a string', 'héllo ✓ "quoted"'],
  ['an empty string', ''],
  ['an integer', 42],
  ['a negative float', -19.99],
  ['zero', 0],
  ['null', null],
  ['true', true],
  ['a Date', new Date('2026-11-27T08:00:00.123Z')],
  ['an array', [1, 'two', null, { three: 3 }]],
  [
    'a nested object with Dates',
    { id: 1, price: '19.99', tags: ['a'], createdAt: new Date('2026-01-01T00:00:00.000Z'), meta: { deep: { at: new Date(0), n: null } } },
  ],
];

describe.each([new JsonCodec(), new MsgpackCodec()])('$name codec', (codec) => {
  it.each(samples)('round-trips %s exactly', (_name, value) => {
    const decoded = codec.decode(codec.encode(value));
    expect(decoded).toEqual(value);
    if (value instanceof Date) expect(decoded).toBeInstanceOf(Date);
  });

  it('keeps Dates as Dates inside objects', () => {
    const decoded = codec.decode(codec.encode({ at: new Date(5) })) as { at: Date };
    expect(decoded.at).toBeInstanceOf(Date);
    expect(decoded.at.getTime()).toBe(5);
  });

  it('leaves the value it encodes untouched', () => {
    const value = { at: new Date(1), list: [new Date(2)] };
    codec.encode(value);
    expect(value.at).toBeInstanceOf(Date);
    expect(value.list[0]).toBeInstanceOf(Date);
  });

  it('throws on bytes it did not write', () => {
    expect(() => codec.decode(Buffer.from([0xc1, 0xff, 0x00, 0x7b]))).toThrow();
  });
});

describe('codec sizes', () => {
  it('MessagePack is smaller than JSON for a product-like object', () => {
    const product = { id: 42, sku: 'SR-000042', name: 'Oak Desk Lamp', price: '19.99', stock: 5, createdAt: new Date() };
    expect(new MsgpackCodec().encode(product).length).toBeLessThan(new JsonCodec().encode(product).length);
  });
});
