import { createHash } from 'node:crypto';
import { ExecutionContext, Injectable, Logger, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, normalizeIp, ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import type { Resolvable, ThrottlerGenerateKeyFunction, ThrottlerGetTrackerFunction, ThrottlerModuleOptions, ThrottlerOptions, ThrottlerStorage } from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { MetricsRegistry, PrincipalResolver, RouteMemo } from '@stockroom/core';

/** A throttler that only some routes meet (the sign-in limits): decided once per route. */
export interface RouteThrottler extends ThrottlerOptions {
  appliesTo?: (handler: object, controller: object) => boolean;
}

interface PlanStep {
  throttler: ThrottlerOptions;
  skipIf?: (context: ExecutionContext) => boolean;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  blockDuration?: Resolvable<number>;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
  /** Limit, window and block when all three are constants (the usual case), resolved once. */
  fixed?: Limits;
}

/** A throttler's limits for one request: resolved per request, or once per route when constant. */
interface Limits {
  limit: number;
  ttl: number;
  blockDuration: number;
  /** The `RateLimit-Policy` item, the same on every response. */
  policy: string;
  /** This throttler's header names (lower case, as Fastify keeps them: no per-request case folding). */
  names: HeaderNames;
}

interface HeaderNames {
  limit: string;
  remaining: string;
  reset: string;
}

const headerNamesByThrottler = new Map<string, HeaderNames>();

/** `X-RateLimit-*` for the default throttler, `X-RateLimit-*-<name>` for the others. */
function headerNames(throttler: string): HeaderNames {
  let names = headerNamesByThrottler.get(throttler);
  if (!names) {
    const suffix = throttler === 'default' ? '' : `-${throttler}`.toLowerCase();
    names = { limit: `x-ratelimit-limit${suffix}`, remaining: `x-ratelimit-remaining${suffix}`, reset: `x-ratelimit-reset${suffix}` };
    headerNamesByThrottler.set(throttler, names);
  }
  return names;
}

const ALLOWED = Promise.resolve(true);

/** A storage that may answer at once (RedisThrottlerStorage, from reserved quota). */
type Count = (key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) => ThrottlerStorageRecord | Promise<ThrottlerStorageRecord>;

/** A number, or a numeric string as a number; anything else undefined. */
function asNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && !Number.isNaN(number) ? number : undefined;
}

/** A limit, window or block given as a number, a numeric string or a function of the context (as @nestjs/throttler allows). */
function resolveNumber(context: ExecutionContext, value: Resolvable<number>, option: string, throttler: string): number | Promise<number> {
  const check = (resolved: unknown): number => {
    const number = asNumber(resolved);
    if (number === undefined) throw new Error(`Invalid "${option}" for the "${throttler}" throttler: expected a number, got ${JSON.stringify(resolved)}.`);
    return number;
  };
  if (typeof value !== 'function') return check(value);
  const resolved: unknown = value(context);
  return typeof (resolved as PromiseLike<unknown> | undefined)?.then === 'function' ? Promise.resolve(resolved).then(check) : check(resolved);
}

/** A step's limits when none of them is a function (numeric strings allowed, as at request time). */
function fixedLimits(name: string, limit: Resolvable<number>, ttl: Resolvable<number>, blockDuration: Resolvable<number> | undefined): Limits | undefined {
  const [fixedLimit, fixedTtl, fixedBlock] = [asNumber(limit), asNumber(ttl), asNumber(blockDuration ?? ttl)];
  if (fixedLimit === undefined || fixedTtl === undefined || fixedBlock === undefined) return undefined;
  return { limit: fixedLimit, ttl: fixedTtl, blockDuration: fixedBlock, policy: policyItem(name, fixedLimit, fixedTtl), names: headerNames(name) };
}

/** The item each response's `RateLimit-Policy` header lists for one throttler. */
function policyItem(name: string, limit: number, ttl: number): string {
  return `"${name}";q=${limit};w=${Math.ceil(ttl / 1000)}`;
}

/** The client's address (the socket's, or X-Forwarded-For's when TRUST_PROXY trusts the hop); IPv6 by /64. */
export function ipTracker(request: FastifyRequest): string {
  return `ip:${normalizeIp(request.ip)}`;
}

function routeName(controller: object, handler: object): string {
  return `${(controller as { name: string }).name}.${(handler as { name: string }).name}`;
}

/** A throttler key: route and client; a client part that could be long (an e-mail) is hashed. */
function routeKey(route: string, tracker: string): string {
  return tracker.length <= 100 ? `${route}:${tracker}` : `${route}:${createHash('sha256').update(tracker).digest('base64url')}`;
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
  private readonly plans = new RouteMemo<PlanStep[]>();
  private readonly hit: Count;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    registry: MetricsRegistry,
    @Optional() private readonly principals?: PrincipalResolver,
  ) {
    super(options, storage, reflector);
    const immediate = (storage as { count?: Count }).count;
    this.hit = immediate ? immediate.bind(storage) : (key, ttl, limit, blockDuration, name) => storage.increment(key, ttl, limit, blockDuration, name);
    this.refused = new Counter({ name: 'stockroom_throttled_requests_total', help: 'Requests refused with 429, by throttler', labelNames: ['throttler'], registers: [registry] });
  }

  /**
   * With throttling off (THROTTLE_ENABLED=false) no throttler is configured on purpose and the app
   * does not install this guard; the base class would still warn at every boot that nothing is limited.
   */
  override async onModuleInit(): Promise<void> {
    const configured = Array.isArray(this.options) ? this.options : this.options.throttlers;
    if (configured.length > 0) return super.onModuleInit();
    const logger = this.logger;
    this.logger = Object.assign(new Logger(ThrottlerGuard.name), { warn: () => undefined });
    try {
      await super.onModuleInit();
    } finally {
      this.logger = logger;
    }
  }

  /**
   * The base guard reads six metadata keys per throttler and hashes the key on every request;
   * here each route's throttlers are worked out on its first request (skips, overrides, the
   * route filter of a throttler) and only what can vary per request is done per request.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.plans.get(context, (handler, controller) => this.planFor(handler, controller));
    if (plan.length === 0) return ALLOWED;
    // One throttler with constant limits: decided at once when the storage answers at once. The
    // base class types the answer as a promise; Nest's guard consumer and FastReads take a boolean.
    const [only] = plan;
    if (plan.length === 1 && only.fixed && !only.skipIf) return this.count(context, only.throttler.name ?? 'default', only.getTracker, only.generateKey, only.fixed) as Promise<boolean>;
    return this.throttle(context, plan);
  }

  private async throttle(context: ExecutionContext, plan: PlanStep[]): Promise<boolean> {
    for (const step of plan) {
      if (step.skipIf?.(context)) continue;
      const name = step.throttler.name ?? 'default';
      if (step.fixed) {
        await this.count(context, name, step.getTracker, step.generateKey, step.fixed);
        continue;
      }
      // Plain numbers are not awaited: each await is one more promise per request.
      let limit = resolveNumber(context, step.limit, 'limit', name);
      if (typeof limit !== 'number') limit = await limit;
      let ttl = resolveNumber(context, step.ttl, 'ttl', name);
      if (typeof ttl !== 'number') ttl = await ttl;
      let blockDuration = step.blockDuration === undefined ? ttl : resolveNumber(context, step.blockDuration, 'blockDuration', name);
      if (typeof blockDuration !== 'number') blockDuration = await blockDuration;
      await this.handleRequest({ context, limit, ttl, blockDuration, throttler: step.throttler, getTracker: step.getTracker, generateKey: step.generateKey });
    }
    return true;
  }

  private planFor(handler: object, controller: object): PlanStep[] {
    const meta = <T>(key: string, name: string): T | undefined => this.reflector.getAllAndOverride<T>(key + name, [handler as never, controller as never]);
    // What the module was given: the base class fills commonOptions with its own async getTracker when not.
    const given: Pick<ThrottlerOptions, 'getTracker' | 'generateKey'> = Array.isArray(this.options) ? {} : this.options;
    const ownTracker: ThrottlerGetTrackerFunction =
      this.getTracker === RateLimitGuard.prototype.getTracker ? (req) => this.trackerOf(req) : (req) => this.getTracker(req);
    const steps: PlanStep[] = [];
    for (const throttler of this.throttlers as RouteThrottler[]) {
      const name = throttler.name ?? 'default';
      if (meta<boolean>(THROTTLER_SKIP, name)) continue;
      if (throttler.appliesTo && !throttler.appliesTo(handler, controller)) continue;
      const limit: Resolvable<number> = meta(THROTTLER_LIMIT, name) ?? throttler.limit;
      const ttl: Resolvable<number> = meta(THROTTLER_TTL, name) ?? throttler.ttl;
      const blockDuration: Resolvable<number> | undefined = meta(THROTTLER_BLOCK_DURATION, name) ?? throttler.blockDuration;
      steps.push({
        throttler,
        skipIf: throttler.skipIf ?? this.commonOptions.skipIf,
        limit,
        ttl,
        blockDuration,
        fixed: fixedLimits(name, limit, ttl, blockDuration),
        getTracker: meta<ThrottlerGetTrackerFunction>(THROTTLER_TRACKER, name) ?? throttler.getTracker ?? given.getTracker ?? ownTracker,
        generateKey: meta<ThrottlerGenerateKeyFunction>(THROTTLER_KEY_GENERATOR, name) ?? throttler.generateKey ?? given.generateKey ?? this.routeKeys(handler, controller),
      });
    }
    return steps;
  }

  /**
   * Route and client, readable in Redis (the base guard hashes every key with SHA-256); a client
   * part that could be long (an e-mail from a request body) is still hashed. The throttler's name
   * is added by the storage.
   */
  protected override generateKey(context: ExecutionContext, tracker: string): string {
    return routeKey(routeName(context.getClass(), context.getHandler()), tracker);
  }

  /** `generateKey` for one route, its name worked out once (a subclass's own generateKey is still called). */
  private routeKeys(handler: object, controller: object): ThrottlerGenerateKeyFunction {
    if (this.generateKey !== RateLimitGuard.prototype.generateKey) return (context, tracker) => this.generateKey(context, tracker);
    const route = routeName(controller, handler);
    return (_context, tracker) => routeKey(route, tracker);
  }

  /**
   * Signed-in callers are counted by user (wherever they connect from), everyone else by address.
   * A session store that cannot answer makes the caller anonymous here; the access guard still refuses it where a session is needed.
   */
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return this.trackerOf(request);
  }

  /** As getTracker, without a promise for a caller who sent no credentials (most readers). */
  private trackerOf(request: Record<string, unknown>): string | Promise<string> {
    if (!this.principals?.mayBeSignedIn(request as unknown as FastifyRequest)) return ipTracker(request as unknown as FastifyRequest);
    return this.trackerOfSignedIn(request);
  }

  private async trackerOfSignedIn(request: Record<string, unknown>): Promise<string> {
    const principal = await this.principals?.resolve(request as unknown as FastifyRequest).catch(() => null);
    return principal ? `user:${principal.userId}` : ipTracker(request as unknown as FastifyRequest);
  }

  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = request;
    const name = throttler.name ?? 'default';
    return Promise.resolve(this.count(context, name, getTracker, generateKey, { limit, ttl, blockDuration, policy: policyItem(name, limit, ttl), names: headerNames(name) }));
  }

  /** The request and reply, without `switchToHttp()` (which makes three closures per call). */
  protected override getRequestResponse(context: ExecutionContext): { req: Record<string, unknown>; res: Record<string, unknown> } {
    return { req: context.getArgByIndex(0), res: context.getArgByIndex(1) };
  }

  /**
   * Counts the request against one throttler whose limits are known, and answers with its headers
   * (or 429): without a promise when the tracker and the storage both answer at once.
   */
  private count(context: ExecutionContext, name: string, getTracker: ThrottlerGetTrackerFunction, generateKey: ThrottlerGenerateKeyFunction, limits: Limits): boolean | Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const reply = res as unknown as FastifyReply;
    const found = getTracker(req, context);
    if (typeof found !== 'string') return found.then((tracker) => this.countAs(context, reply, name, tracker, generateKey, limits));
    return this.countAs(context, reply, name, found, generateKey, limits);
  }

  private countAs(context: ExecutionContext, reply: FastifyReply, name: string, tracker: string, generateKey: ThrottlerGenerateKeyFunction, limits: Limits): boolean | Promise<boolean> {
    const key = generateKey(context, tracker, name);
    const record = this.hit(key, limits.ttl, limits.limit, limits.blockDuration, name);
    if (record instanceof Promise) return record.then((counted) => this.decide(context, reply, name, key, tracker, limits, counted));
    return this.decide(context, reply, name, key, tracker, limits, record);
  }

  private decide(context: ExecutionContext, reply: FastifyReply, name: string, key: string, tracker: string, limits: Limits, record: ThrottlerStorageRecord): boolean | Promise<boolean> {
    this.sendHeaders(reply, name, limits, record);
    if (!record.isBlocked) return true;
    this.refused.inc({ throttler: name });
    return this.throwThrottlingException(context, { limit: limits.limit, ttl: limits.ttl, key, tracker, ...record }).then(() => true);
  }

  /** The rate-limit headers of one throttler's count (and Retry-After when it is over its limit). */
  private sendHeaders(reply: FastifyReply, name: string, limits: Limits, record: ThrottlerStorageRecord): void {
    const remaining = record.isBlocked ? 0 : Math.max(0, limits.limit - record.totalHits);
    const reset = record.isBlocked ? record.timeToBlockExpire : record.timeToExpire;
    appendItem(reply, 'ratelimit-policy', limits.policy);
    appendItem(reply, 'ratelimit', `"${name}";r=${remaining};t=${reset}`);
    void reply.header(limits.names.limit, limits.limit);
    void reply.header(limits.names.remaining, remaining);
    void reply.header(limits.names.reset, reset);
    if (record.isBlocked) void reply.header('retry-after', record.timeToBlockExpire);
  }

}
