import { Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, normalizeIp, ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { MetricsRegistry, PrincipalResolver } from '@stockroom/core';

/** The client's address (the socket's, or X-Forwarded-For's when TRUST_PROXY trusts the hop); IPv6 by /64. */
export function ipTracker(request: FastifyRequest): string {
  return `ip:${normalizeIp(request.ip)}`;
}

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
  private readonly refused: Counter<'throttler'>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    registry: MetricsRegistry,
    @Optional() private readonly principals?: PrincipalResolver,
  ) {
    super(options, storage, reflector);
    this.refused = new Counter({ name: 'stockroom_throttled_requests_total', help: 'Requests refused with 429, by throttler', labelNames: ['throttler'], registers: [registry] });
  }

  /**
   * Signed-in callers are counted by user (wherever they connect from), everyone else by address.
   * A session store that cannot answer makes the caller anonymous here; the access guard still refuses it where a session is needed.
   */
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const principal = await this.principals?.resolve(request as unknown as FastifyRequest).catch(() => null);
    return principal ? `user:${principal.userId}` : ipTracker(request as unknown as FastifyRequest);
  }

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
      this.refused.inc({ throttler: name });
      void reply.header('Retry-After', record.timeToBlockExpire);
      await this.throwThrottlingException(context, { limit, ttl, key, tracker, ...record });
    }
    return true;
  }
}
