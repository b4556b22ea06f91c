import { Packr } from 'msgpackr';

/** Turns cached values into bytes and back; a value that fails to decode is a cache miss. */
export interface CacheCodec {
  readonly name: 'json' | 'msgpack';
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
}

const DATE_TAG = '$date';

/** Copies `value` with every Date replaced by `{$date: ISO}`; values without Dates are returned as they are. */
function tagDates(value: unknown): unknown {
  if (value instanceof Date) return { [DATE_TAG]: value.toISOString() };
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const tagged = tagDates(value[i]);
      if (tagged !== value[i]) (copy ??= value.slice())[i] = tagged;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const original = (value as Record<string, unknown>)[key];
    const tagged = tagDates(original);
    if (tagged !== original) (copy ??= { ...(value as Record<string, unknown>) })[key] = tagged;
  }
  return copy ?? value;
}

/** Turns `{$date: ISO}` objects back into Dates, in place (the parsed tree is ours). */
function restoreDates(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreDates(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  const tagged = record[DATE_TAG];
  if (typeof tagged === 'string' && Object.keys(record).length === 1) return new Date(tagged);
  for (const key in record) record[key] = restoreDates(record[key]);
  return record;
}

/**
 * JSON with exact Dates: a Date becomes `{"$date": "<ISO>"}` and comes back as a Date.
 * (An object of your own whose only key is `$date` would come back as a Date too.) A plain walk
 * plus native JSON is several times faster than a replacer/reviver callback per key.
 */
export class JsonCodec implements CacheCodec {
  readonly name = 'json' as const;

  encode(value: unknown): Buffer {
    return Buffer.from(JSON.stringify(tagDates(value)) ?? 'null');
  }

  decode(bytes: Buffer): unknown {
    return restoreDates(JSON.parse(bytes.toString('utf8')));
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
