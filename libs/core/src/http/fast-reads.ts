import { CanActivate, DynamicModule, ForbiddenException, Global, Injectable, Module, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common/enums/request-method.enum';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isObservable, lastValueFrom } from 'rxjs';
import { sendError } from '../errors/http-error.filter';
import type { CounterSeries, HotCounter } from '../metrics/hot-metrics';
import { withinRequest } from '../logging/request-context';
import { conditionalGet, JsonRepresentation } from './representation';

/** What a fast read found in process for one request, and what serving it implies (counting a view). */
export interface FastAnswer {
  representation: JsonRepresentation;
  served?: () => void;
  /** Instead of the route's (e.g. `private, no-store` for a signed-in caller). */
  cacheControl?: string;
}

export interface FastRead {
  /** The Nest route this answers for: its global guards run for it as they would in Nest. */
  controller: Type<unknown>;
  handler: (...args: never[]) => unknown;
  /**
   * The answer when it is cached (no database read, nothing that may be refused); undefined hands
   * the request to Nest. It runs before the guards, so it must have no effect of its own.
   */
  peek(request: FastifyRequest): FastAnswer | undefined | Promise<FastAnswer | undefined>;
  cacheControl: string;
}

type RouteHook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

/**
 * Public GETs answered before Nest's per-request pipeline when their answer is cached (in L1, or
 * one Redis read away). A Nest route pays for its parameter pipes, its handler's promise
 * chain and its response mapping on every request, which costs more than the cached answer
 * itself; here the app's global guards still run in order (rate limits stay exact, access is
 * checked), then the rendered body is sent with the same headers (ETag, 304, Cache-Control) the
 * controller would set. Anything the peek does not find (a miss, a malformed parameter) goes
 * through Nest as usual, so the controller stays the one definition of
 * the route's behaviour.
 *
 * The hook is callback-style and a guard's synchronous answer is taken as it is: an L1 hit makes
 * no promise at all, a Redis hit only those of its one read (on Node 20 every promise also pays
 * the async hooks that AsyncLocalStorage turns on). It is also where the request context
 * (`withinRequest`, the reqId of log lines) starts on these routes: only when the request goes on
 * to Nest or fails, since entering it for every answer cost a cached read about 6 % of its CPU on
 * Node 26 (docs/BENCHMARKS.md). What the fast path itself logs (its Redis read, a rate-limit
 * count) carries no reqId.
 */
@Injectable()
export class FastReads {
  private readonly reads = new Map<string, FastRead>();
  private guards: readonly CanActivate[] = [];
  private served?: HotCounter;

  /** Called by a controller (constructed before routes are registered). */
  register(read: FastRead): void {
    this.reads.set(routeKey(read), read);
  }

  /** The app's global guards, in the order Nest runs them. */
  useGuards(guards: readonly CanActivate[]): void {
    this.guards = guards;
  }

  countWith(counter: HotCounter): void {
    this.served = counter;
  }

  /** The onRequest hook for a Fastify route, when a fast read is registered for it. */
  hookFor(method: string, url: string): RouteHook | undefined {
    const read = this.reads.get(`${method} ${url}`);
    if (!read) return undefined;
    let counted: CounterSeries | undefined;
    const send = (answer: FastAnswer, request: FastifyRequest, reply: FastifyReply) => {
      let body: ReturnType<typeof conditionalGet>;
      try {
        body = conditionalGet(request, reply, answer.representation, answer.cacheControl ?? read.cacheControl);
      } catch (error) {
        return withinRequest(request, reply, () => sendError(reply, error));
      }
      answer.served?.();
      (counted ??= this.served?.series(url))?.inc();
      void reply.send(body);
    };
    const admit = (answer: FastAnswer | undefined, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      if (!answer) return withinRequest(request, reply, done);
      const context = new ExecutionContextHost([request, reply, undefined], read.controller, read.handler);
      context.setType('http');
      this.guard(context, 0, (error) => (error === undefined ? send(answer, request, reply) : withinRequest(request, reply, () => sendError(reply, error))));
    };
    // Once a reply is sent, `done` is not called: Fastify stops at a hook that answered.
    return (request, reply, done) => {
      const peeked = read.peek(request);
      if (peeked instanceof Promise) peeked.then((answer) => admit(answer, request, reply, done), (error: Error) => withinRequest(request, reply, () => done(error)));
      else admit(peeked, request, reply, done);
    };
  }

  /** Runs the guards from `index` in order; `then()` when all pass, `then(error)` at the first refusal. */
  private guard(context: ExecutionContextHost, index: number, then: (error?: unknown) => void): void {
    for (let i = index; i < this.guards.length; i++) {
      let verdict: ReturnType<CanActivate['canActivate']>;
      try {
        verdict = this.guards[i].canActivate(context);
      } catch (error) {
        return then(error);
      }
      if (typeof verdict === 'boolean') {
        if (!verdict) return then(refused());
        continue;
      }
      const pending = isObservable(verdict) ? lastValueFrom(verdict) : Promise.resolve(verdict);
      pending.then(
        (allowed) => (allowed ? this.guard(context, i + 1, then) : then(refused())),
        (error: unknown) => then(error),
      );
      return;
    }
    then();
  }
}

/** What Nest answers when a guard returns false. */
const refused = () => new ForbiddenException('Forbidden resource');

function routeKey(read: FastRead): string {
  const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, read.handler) as RequestMethod];
  const parts = [Reflect.getMetadata(PATH_METADATA, read.controller) as string, Reflect.getMetadata(PATH_METADATA, read.handler) as string];
  const path = parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');
  return `${method} /${path}`;
}

/** Shares the app's FastReads with the controllers that register into it. */
@Global()
@Module({})
export class FastReadsModule {
  static forRoot(fastReads: FastReads): DynamicModule {
    return { module: FastReadsModule, providers: [{ provide: FastReads, useValue: fastReads }], exports: [FastReads] };
  }
}
