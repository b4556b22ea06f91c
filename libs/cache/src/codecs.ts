import { Packr } from 'msgpackr';

/** Turns cached values into bytes and back; a value that fails to decode is a cache miss. */
export interface CacheCodec {
  readonly name: 'json' | 'msgpack';
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
}

const DATE_TAG = '$date';

/**
 * JSON with exact Dates: a Date becomes `{"$date": "<ISO>"}` and comes back as a Date.
 * (An object of your own whose only key is `$date` would come back as a Date too.)
 */
export class JsonCodec implements CacheCodec {
  readonly name = 'json' as const;

  encode(value: unknown): Buffer {
    return Buffer.from(
      JSON.stringify(value, function (this: Record<string, unknown>, key, replaced) {
        const original = this[key];
        return original instanceof Date ? { [DATE_TAG]: original.toISOString() } : replaced;
      }),
    );
  }

  decode(bytes: Buffer): unknown {
    return JSON.parse(bytes.toString('utf8'), (_key, value: unknown) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const keys = Object.keys(value);
        const tagged = (value as Record<string, unknown>)[DATE_TAG];
        if (keys.length === 1 && typeof tagged === 'string') return new Date(tagged);
      }
      return value;
    });
  }
}

/** MessagePack (msgpackr): smaller and faster; Dates use the timestamp extension. */
export class MsgpackCodec implements CacheCodec {
  readonly name = 'msgpack' as const;
  // No shared structures: entries must decode on any instance, whatever it cached before.
  private readonly packr = new Packr({ useRecords: false, moreTypes: false });

  encode(value: unknown): Buffer {
    return this.packr.pack(value);
  }

  decode(bytes: Buffer): unknown {
    return this.packr.unpack(bytes);
  }
}

export function createCodec(name: 'json' | 'msgpack'): CacheCodec {
  return name === 'msgpack' ? new MsgpackCodec() : new JsonCodec();
}
