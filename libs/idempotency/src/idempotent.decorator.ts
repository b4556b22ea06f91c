import { applyDecorators, CallHandler, createParamDecorator, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import { principalOf } from '@stockroom/core';
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

/**
 * Makes a route honour `Idempotency-Key` in one line: the header is validated (400) and
 * documented, the first answer (status, body, `Location`) is kept 24 h and replayed to retries
 * with the same parameters and body (`Idempotent-Replayed: true`), the same key with another
 * request is 422, a retry while the first still runs waits for it (409 after 5 s). Without the
 * header the route runs as usual. The handler gets the key with `@IdempotencyKey()`, to let the
 * database arbitrate too (a unique reference), which is what keeps a retry safe when Redis is gone.
 */
export function Idempotent(options: IdempotentOptions): MethodDecorator {
  return applyDecorators(SetMetadata(IDEMPOTENT, options), UseInterceptors(IdempotencyInterceptor), ApiHeader(IDEMPOTENCY_HEADER));
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

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<IdempotentOptions>(IDEMPOTENT, context.getHandler());
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = IdempotencyService.validateKey(headerOf(request));
    if (key === undefined) return next.handle();
    const principal = principalOf(request);
    const scope = options.perUser && principal ? `${options.scope}:${principal.userId}` : options.scope;
    const work = async (): Promise<StoredResponse> => {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const headers = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (reply.hasHeader(name) ? [[name, String(reply.getHeader(name))]] : [])));
      return { status: reply.statusCode, body, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
    };
    const recover = async (): Promise<StoredResponse | undefined> => {
      if (!options.recover) return undefined;
      const controller = this.moduleRef.get(context.getClass(), { strict: false }) as Record<string, (key: string, request: FastifyRequest) => Promise<StoredResponse | undefined>>;
      return controller[options.recover](key, request);
    };
    return from(
      this.idempotency.run(scope, key, fingerprintOf(request), work, recover).then((result) => {
        void reply.status(result.status);
        for (const [name, value] of Object.entries(result.headers ?? {})) void reply.header(name, value);
        if (result.replayed) void reply.header('Idempotent-Replayed', 'true');
        return result.body;
      }),
    );
  }
}
