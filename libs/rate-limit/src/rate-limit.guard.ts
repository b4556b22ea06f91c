import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';

/** Appends one item to a structured-field list header (one item per named throttler). */
function appendItem(reply: FastifyReply, name: string, item: string): void {
  const current = reply.getHeader(name);
  void reply.header(name, current ? `${String(current)}, ${item}` : item);
}

/**
 * @nestjs/throttler's guard with the IETF fields as well: every throttled response carries
 * `RateLimit-Policy: "<name>";q=<limit>;w=<window s>` and `RateLimit: "<name>";r=<remaining>;t=<reset s>`
 * (draft-ietf-httpapi-ratelimit-headers) beside the `X-RateLimit-*` headers clients already read;
 * a refusal is 429 with `Retry-After`.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = request;
    const { req, res } = this.getRequestResponse(context);
    const reply = res as unknown as FastifyReply;
    const name = throttler.name ?? 'default';
    const suffix = name === 'default' ? '' : `-${name}`;
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, name);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    const remaining = Math.max(0, limit - record.totalHits);
    const reset = record.isBlocked ? record.timeToBlockExpire : record.timeToExpire;

    appendItem(reply, 'RateLimit-Policy', `"${name}";q=${limit};w=${Math.ceil(ttl / 1000)}`);
    appendItem(reply, 'RateLimit', `"${name}";r=${record.isBlocked ? 0 : remaining};t=${reset}`);
    void reply.header(`X-RateLimit-Limit${suffix}`, limit);
    void reply.header(`X-RateLimit-Remaining${suffix}`, record.isBlocked ? 0 : remaining);
    void reply.header(`X-RateLimit-Reset${suffix}`, reset);
    if (record.isBlocked) {
      void reply.header('Retry-After', record.timeToBlockExpire);
      await this.throwThrottlingException(context, { limit, ttl, key, tracker, ...record });
    }
    return true;
  }
}
