import { CanActivate, DynamicModule, ForbiddenException, Global, Injectable, Module, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common/enums/request-method.enum';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../errors/http-error.filter';
import type { CounterSeries, HotCounter } from '../metrics/hot-metrics';
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

type RouteHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/**
 * Public GETs answered before Nest's per-request pipeline when their answer is cached (in L1, or
 * one Redis read away). A Nest route pays for its parameter pipes, its handler's promise
 * chain and its response mapping on every request, which costs more than the cached answer
 * itself; here the app's global guards still run in order (rate limits stay exact, access is
 * checked), then the rendered body is sent with the same headers (ETag, 304, Cache-Control) the
 * controller would set. Anything the peek does not find (a miss, a malformed parameter) goes
 * through Nest as usual, so the controller stays the one definition of
 * the route's behaviour.
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
    return async (request, reply) => {
      const peeked = read.peek(request);
      const answer = peeked instanceof Promise ? await peeked : peeked;
      if (!answer) return undefined;
      const context = new ExecutionContextHost([request, reply, undefined], read.controller, read.handler);
      context.setType('http');
      try {
        for (const guard of this.guards) {
          if (!(await guard.canActivate(context))) throw new ForbiddenException('Forbidden resource');
        }
      } catch (error) {
        sendError(reply, error);
        return reply;
      }
      answer.served?.();
      (counted ??= this.served?.series(url))?.inc();
      return reply.send(conditionalGet(request, reply, answer.representation, answer.cacheControl ?? read.cacheControl));
    };
  }
}

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
