import { applyDecorators, createParamDecorator, ExecutionContext, Injectable, OnModuleInit, SetMetadata } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { currentExchange, decoratedMethods, principalOf, wrapMethod } from '@stockroom/core';
import { IDEMPOTENCY_HEADER, IdempotencyService, StoredResponse } from './idempotency.service';

const IDEMPOTENT = 'stockroom:idempotent';
/** Headers that belong to a first answer and are replayed with it. */
const KEPT_HEADERS = ['location'];

export interface IdempotentOptions {
  /** What the keys protect (`order`, `adjustment`): part of the Redis key, so keys of two routes never meet. */
  scope: string;
  /** Keys are each signed-in user's own (one customer's key never answers another's request). */
  perUser?: boolean;
  /**
   * A method of the same controller, `(key, request) => Promise<StoredResponse | undefined>`: the
   * first answer rebuilt from the database, for when Redis cannot tell (it lost the record, or the
   * first attempt died between its commit and saving its answer) and the database refused the
   * second application (`DuplicateRequestError`).
   */
  recover?: string;
}

type Handler = (...args: unknown[]) => Promise<unknown>;
type Recover = (key: string, request: FastifyRequest) => Promise<StoredResponse | undefined>;

/** Each controller instance's IdempotencyService (bound at init: a decorator cannot inject). */
const services = new WeakMap<object, IdempotencyService>();

/** Lets `controller`'s @Idempotent handlers use `service` (IdempotencyModule does it for every controller at init). */
export function bindIdempotency(controller: object, service: IdempotencyService): void {
  services.set(controller, service);
}

/**
 * Makes a route honour `Idempotency-Key` in one line: the header is validated (400) and
 * documented, the first answer (status, body, `Location`) is kept 24 h and replayed to retries
 * with the same parameters and body (`Idempotent-Replayed: true`), the same key with another
 * request is 422, a retry while the first still runs waits for it (409 after 5 s). Without the
 * header the route runs as usual. The handler gets the key with `@IdempotencyKey()`, to let the
 * database arbitrate too (a unique reference), which is what keeps a retry safe when Redis is gone.
 *
 * It wraps the handler itself, not a Nest interceptor: Nest runs every interceptor through RxJS
 * and two `AsyncResource.bind` per request, which cost order intake about a tenth of its
 * throughput (docs/BENCHMARKS.md). The wrapper runs after the guards and pipes (a request that
 * fails validation never claims its key) and reaches the request through the request context.
 */
export function Idempotent(options: IdempotentOptions): MethodDecorator {
  const wrap: MethodDecorator = (_target, _property, descriptor) => {
    wrapMethod(descriptor as unknown as TypedPropertyDescriptor<Handler>, (original) => idempotentHandler(original, options));
  };
  return applyDecorators(wrap, SetMetadata(IDEMPOTENT, options), ApiHeader(IDEMPOTENCY_HEADER));
}

function idempotentHandler(original: Handler, options: IdempotentOptions): Handler {
  return async function idempotent(this: object, ...args: unknown[]): Promise<unknown> {
    const exchange = currentExchange();
    if (!exchange) throw new Error('@Idempotent runs inside an HTTP request (configureFastify sets the request context)');
    const { request, reply } = exchange;
    const key = IdempotencyService.validateKey(headerOf(request));
    if (key === undefined) return original.apply(this, args);
    const service = services.get(this);
    if (!service) throw new Error(`@Idempotent on ${this.constructor.name}: import IdempotencyModule in its module`);
    const principal = principalOf(request);
    const scope = options.perUser && principal ? `${options.scope}:${principal.userId}` : options.scope;
    const work = async (): Promise<StoredResponse> => {
      const body = await original.apply(this, args);
      return { status: reply.statusCode, body, ...keptHeaders(reply) };
    };
    const recover = async (): Promise<StoredResponse | undefined> => {
      if (!options.recover) return undefined;
      return ((this as Record<string, Recover>)[options.recover] as Recover).call(this, key, request);
    };
    const result = await service.run(scope, key, fingerprintOf(request), work, recover);
    void reply.status(result.status);
    for (const [name, value] of Object.entries(result.headers ?? {})) void reply.header(name, value);
    if (result.replayed) void reply.header('Idempotent-Replayed', 'true');
    return result.body;
  };
}

function keptHeaders(reply: FastifyReply): { headers?: Record<string, string> } {
  const headers = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (reply.hasHeader(name) ? [[name, String(reply.getHeader(name))]] : [])));
  return Object.keys(headers).length > 0 ? { headers } : {};
}

/** The request's valid Idempotency-Key, or undefined when it sent none. */
export const IdempotencyKey = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined =>
  IdempotencyService.validateKey(headerOf(context.switchToHttp().getRequest<FastifyRequest>())),
);

function headerOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  return Array.isArray(value) ? value[0] : value;
}

/** What makes two requests the same: the route's parameters (integers as numbers) and the JSON body, as one object. */
function fingerprintOf(request: FastifyRequest): Record<string, unknown> {
  const params = Object.entries((request.params ?? {}) as Record<string, string>).map(([name, value]) => [name, /^\d{1,15}$/.test(value) ? Number(value) : value]);
  return { ...Object.fromEntries(params), ...(request.body as Record<string, unknown> | undefined) };
}

/** Binds every controller that has an @Idempotent handler to this app's IdempotencyService, before any request. */
@Injectable()
export class IdempotencyBinder implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly idempotency: IdempotencyService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object') continue;
      if (decoratedMethods(this.scanner, Object.getPrototypeOf(instance) as object, [IDEMPOTENT]).length > 0) bindIdempotency(instance, this.idempotency);
    }
  }
}
