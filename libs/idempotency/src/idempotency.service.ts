import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DomainError, stableStringify, toErrorResponse, ValidationFailedError } from '@stockroom/core';
import { InjectRequestRedis, RedisCircuit, RedisKeys } from '@stockroom/redis';
import type { RedisClient } from '@stockroom/redis';
import { DuplicateRequestError, IdempotencyInProgressError, IdempotencyKeyReusedError } from './idempotency.errors';

/** What a key may be: 1–100 letters, digits, `_`, `.`, `:` or `-` (a UUID fits; so does a ledger reference). */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

/** A first answer, kept and replayed: status, body, and the headers that belong to it (`Location`). */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface IdempotencyRecord {
  state: 'pending' | 'done';
  hash: string;
  response?: StoredResponse;
}

/** The header as Swagger shows it on every route that honours it. */
export const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retries with the same key and body get the first answer and change nothing; another body is 422. 1–100 letters, digits, "_", ".", ":" or "-" (a UUID fits)',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source, minLength: 1, maxLength: 100, example: '5f0c2a7e-8d1b-4c3e-9a55-0b7f6e2d9c41' },
};

const TTL_MS = 24 * 60 * 60 * 1000;
/** A claim whose request died before answering (a crash, a kill) lets go of the key this soon. */
export const PENDING_TTL_MS = 10_000;
const WAIT_MS = 5_000;

/**
 * `Idempotency-Key`: the first response to a key is kept in Redis for 24 h and replayed to
 * retries with the same body; the same key with another body is 422. Redis only remembers
 * responses: the change itself is arbitrated by MySQL (the ledger's unique reference, the
 * orders' unique key), so a retry after Redis lost the record, or after the first attempt died
 * between its commit and saving its answer, still changes nothing and is answered from the
 * database. A claim lives `PENDING_TTL_MS`: a retry waits for the first attempt that long at
 * most, never for a day.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    @InjectRequestRedis() private readonly redis: RedisClient,
    private readonly circuit: RedisCircuit,
    private readonly keys: RedisKeys,
  ) {}

  static validateKey(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new ValidationFailedError([{ field: 'Idempotency-Key', problems: ['Idempotency-Key must be 1-100 letters, digits, "_", ".", ":" or "-"'] }]);
    }
    return key;
  }

  async run(
    scope: string,
    key: string | undefined,
    fingerprint: unknown,
    work: () => Promise<StoredResponse>,
    recover: () => Promise<StoredResponse | undefined>,
  ): Promise<StoredResponse & { replayed: boolean }> {
    if (key === undefined) return { ...(await work()), replayed: false };
    const redisKey = this.keys.key('idem', scope, key);
    const hash = createHash('sha256').update(stableStringify(fingerprint)).digest('hex');
    let claimed = await this.claim(redisKey, hash);
    if (claimed === 'taken') {
      const replayed = await this.replay(redisKey, hash, recover);
      if (replayed) return replayed;
      // The first attempt failed without an answer (and let go of the key): this one runs.
      claimed = await this.claim(redisKey, hash);
      if (claimed === 'taken') throw new IdempotencyInProgressError();
    }

    let response: StoredResponse;
    try {
      response = await work();
    } catch (error) {
      if (error instanceof DuplicateRequestError) {
        const recovered = await recover();
        if (recovered) {
          await this.save(redisKey, hash, recovered);
          return { ...recovered, replayed: true };
        }
      }
      // An expected refusal is the answer to this key too; a request that never got past validation
      // (400) is not, so the same key with the request corrected still runs.
      if (error instanceof DomainError && error.status < 500 && error.status !== 400) {
        await this.save(redisKey, hash, { status: error.status, body: toErrorResponse(error) });
      } else if (claimed === 'claimed') {
        await this.redis.del(redisKey).catch(() => undefined);
      }
      throw error;
    }
    await this.save(redisKey, hash, response);
    return { ...response, replayed: false };
  }

  private async claim(redisKey: string, hash: string): Promise<'claimed' | 'taken' | 'unavailable'> {
    const record: IdempotencyRecord = { state: 'pending', hash };
    return this.circuit.run(
      this.redis,
      async () => ((await this.redis.set(redisKey, JSON.stringify(record), 'PX', PENDING_TTL_MS, 'NX')) === 'OK' ? 'claimed' : 'taken'),
      // Without Redis the ledger's unique reference still refuses a second application.
      () => 'unavailable',
    );
  }

  private async save(redisKey: string, hash: string, response: StoredResponse): Promise<void> {
    const record: IdempotencyRecord = { state: 'done', hash, response };
    await this.circuit.run(this.redis, () => this.redis.set(redisKey, JSON.stringify(record), 'PX', TTL_MS), () => undefined);
  }

  /**
   * The stored answer, waiting while the first request runs; undefined when the key was let go
   * (or Redis cannot tell: the database arbitrates). While the claim is pending, what MySQL holds
   * answers at once: the first attempt committed and died before saving its answer.
   */
  private async replay(
    redisKey: string,
    hash: string,
    recover: () => Promise<StoredResponse | undefined>,
  ): Promise<(StoredResponse & { replayed: boolean }) | undefined> {
    const deadline = Date.now() + WAIT_MS;
    let recovered = false;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      const raw = await this.circuit.run(this.redis, () => this.redis.get(redisKey), () => null);
      if (raw === null) return undefined;
      const record = JSON.parse(raw) as IdempotencyRecord;
      if (record.hash !== hash) throw new IdempotencyKeyReusedError();
      if (record.state === 'done' && record.response) return { ...record.response, replayed: true };
      if (!recovered) {
        recovered = true;
        const held = await recover();
        if (held) {
          await this.save(redisKey, hash, held);
          return { ...held, replayed: true };
        }
      }
      if (Date.now() >= deadline) throw new IdempotencyInProgressError();
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
