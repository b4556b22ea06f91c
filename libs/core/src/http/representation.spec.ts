import { ifMatchHolds, ifNoneMatchHits } from './representation';

describe('conditional request headers (RFC 9110 §13.1)', () => {
  const etag = '"abc"';

  it('If-None-Match compares weakly and takes `*`', () => {
    for (const header of ['"abc"', 'W/"abc"', '"x", "abc"', ' "x" ,W/"abc" ', '*']) expect({ header, hit: ifNoneMatchHits(header, etag) }).toEqual({ header, hit: true });
    for (const header of [undefined, '"x"', '', 'abc']) expect({ header, hit: ifNoneMatchHits(header, etag) }).toEqual({ header, hit: false });
  });

  it('If-Match compares strongly: a weak tag never matches, `*` matches any current representation', () => {
    for (const header of ['"abc"', '"x", "abc"', ' "x" , "abc" ', '*']) expect({ header, holds: ifMatchHolds(header, etag) }).toEqual({ header, holds: true });
    for (const header of ['W/"abc"', '"x"', '', 'abc', '"abc']) expect({ header, holds: ifMatchHolds(header, etag) }).toEqual({ header, holds: false });
    // A representation with only a weak validator can be matched by `*` alone.
    expect(ifMatchHolds('W/"abc"', 'W/"abc"')).toBe(false);
    expect(ifMatchHolds('*', 'W/"abc"')).toBe(true);
  });
});
