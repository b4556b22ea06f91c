import { DomainError, ValidationFailedError } from '@stockroom/core';
import type { RedisCircuit, RedisClient, RedisKeys } from '@stockroom/redis';
import { DuplicateRequestError, IdempotencyInProgressError, IdempotencyKeyReusedError } from './idempotency.errors';
import { IdempotencyService, StoredResponse } from './idempotency.service';

/** The few Redis commands the service uses, in memory (TTLs are ignored: no test waits for one). */
function fakeRedis() {
  const data = new Map<string, string>();
  const redis = {
    data,
    set: async (key: string, value: string, ...args: unknown[]) => {
      if (args.includes('NX') && data.has(key)) return null;
      data.set(key, value);
      return 'OK';
    },
    get: async (key: string) => data.get(key) ?? null,
    del: async (key: string) => Number(data.delete(key)),
  };
  return redis;
}

const circuit = { run: <T>(_client: unknown, call: () => Promise<T>) => call() } as unknown as RedisCircuit;
const keys = { key: (...parts: string[]) => parts.join(':') } as unknown as RedisKeys;
const answer = (body: unknown): Promise<StoredResponse> => Promise.resolve({ status: 201, body });

describe('IdempotencyService', () => {
  let redis: ReturnType<typeof fakeRedis>;
  let service: IdempotencyService;
  beforeEach(() => {
    redis = fakeRedis();
    service = new IdempotencyService(redis as unknown as RedisClient, circuit, keys);
  });

  it('runs without a key, every time', async () => {
    const work = jest.fn(() => answer({ n: 1 }));
    await service.run('s', undefined, {}, work, async () => undefined);
    await service.run('s', undefined, {}, work, async () => undefined);
    expect(work).toHaveBeenCalledTimes(2);
    expect(redis.data.size).toBe(0);
  });

  it('replays the first answer to the same key and request, whatever the key order of the request', async () => {
    const work = jest.fn(() => answer({ id: 7 }));
    expect(await service.run('s', 'k', { a: 1, b: [2] }, work, async () => undefined)).toEqual({ status: 201, body: { id: 7 }, replayed: false });
    expect(await service.run('s', 'k', { b: [2], a: 1 }, work, async () => undefined)).toEqual({ status: 201, body: { id: 7 }, replayed: true });
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('refuses the same key with another request (422)', async () => {
    await service.run('s', 'k', { a: 1 }, () => answer(1), async () => undefined);
    await expect(service.run('s', 'k', { a: 2 }, () => answer(2), async () => undefined)).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('keeps an expected refusal as the answer, but lets the key go after a validation error or a failure', async () => {
    class Sold extends DomainError {
      readonly status = 409;
      readonly code = 'SOLD_OUT';
    }
    await expect(service.run('s', 'refused', {}, () => Promise.reject(new Sold('sold out')), async () => undefined)).rejects.toBeInstanceOf(Sold);
    expect(await service.run('s', 'refused', {}, () => answer('never'), async () => undefined)).toMatchObject({ status: 409, replayed: true });
    const invalid = new ValidationFailedError([{ field: 'items', problems: ['items must not be empty'] }]);
    await expect(service.run('s', 'invalid', {}, () => Promise.reject(invalid), async () => undefined)).rejects.toBe(invalid);
    expect(await service.run('s', 'invalid', {}, () => answer('corrected'), async () => undefined)).toMatchObject({ body: 'corrected', replayed: false });
    await expect(service.run('s', 'crashed', {}, () => Promise.reject(new Error('boom')), async () => undefined)).rejects.toThrow('boom');
    expect(await service.run('s', 'crashed', {}, () => answer('second try'), async () => undefined)).toEqual({ status: 201, body: 'second try', replayed: false });
  });

  it('answers from the database when the write was already applied (Redis lost the record)', async () => {
    const recovered = { status: 201, body: { from: 'mysql' } };
    const result = await service.run('s', 'k', {}, () => Promise.reject(new DuplicateRequestError()), async () => recovered);
    expect(result).toEqual({ ...recovered, replayed: true });
    expect(await service.run('s', 'k', {}, () => answer('never'), async () => undefined)).toEqual({ ...recovered, replayed: true });
  });

  it('a retry while the first still runs waits for its answer, or is told to retry later', async () => {
    let finish!: (value: StoredResponse) => void;
    const first = service.run('s', 'slow', {}, () => new Promise<StoredResponse>((resolve) => (finish = resolve)), async () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const second = service.run('s', 'slow', {}, () => answer('never'), async () => undefined);
    setTimeout(() => finish({ status: 201, body: 'first' }), 30);
    expect(await second).toEqual({ status: 201, body: 'first', replayed: true });
    expect(await first).toEqual({ status: 201, body: 'first', replayed: false });
  });

  it('tells a retry to come back later when the first attempt holds the key past the wait', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      void service.run('s', 'held', {}, () => new Promise<StoredResponse>(() => undefined), async () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      const retry = service.run('s', 'held', {}, () => answer('never'), async () => undefined);
      const outcome = retry.catch((error: unknown) => error);
      for (let i = 0; i < 100; i++) await jest.advanceTimersByTimeAsync(200);
      expect(await outcome).toBeInstanceOf(IdempotencyInProgressError);
    } finally {
      jest.useRealTimers();
    }
  });
});
