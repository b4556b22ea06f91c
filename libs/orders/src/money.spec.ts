import { formatCents, toCents } from './money';

describe('money', () => {
  it('adds prices exactly where floats would not', () => {
    expect(0.1 * 3).not.toBe(0.3);
    expect(formatCents(toCents('0.10') * 3n)).toBe('0.30');
    expect(formatCents(toCents('19.99') * 1000n + toCents('0.01'))).toBe('19990.01');
    expect(formatCents(toCents('9999999999.99') * 50000n)).toBe('499999999999500.00');
    expect(formatCents(toCents('0.01') * 3n + toCents('1.5'))).toBe('1.53');
  });

  it('reads the shapes MySQL and users write, and refuses others', () => {
    expect(toCents('7')).toBe(700n);
    expect(toCents('7.5')).toBe(750n);
    expect(formatCents(0n)).toBe('0.00');
    for (const bad of ['', '-1', '1.234', '1e3', ' 1']) expect(() => toCents(bad)).toThrow();
  });
});
