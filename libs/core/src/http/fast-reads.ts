import { CanActivate, DynamicModule, ForbiddenException, Global, Injectable, Module, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common/enums/request-method.enum';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObservable, lastValueFrom } from 'rxjs';
import { sendError } from '../errors/http-error.filter';
import type { CounterSeries, HotCounter } from '../metrics/hot-metrics';
import { withinRequest } from '../logging/request-context';
import { conditionalGet, JsonRepresentation } from './representation';
import { EarlyReply, EarlyRequest, FastifyHandler, headerList } from './early-answers';
import type { InFlightRequests } from './in-flight';

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

/** What answering before Fastify needs from the app (see `answerEarly`). */
export interface EarlySetup {
  /** The headers every API response starts with (security headers, the default Cache-Control). */
  headers: Readonly<Record<string, string>>;
  inFlight: InFlightRequests;
  /** Fastify's `genReqId`. */
  requestId: (request: IncomingMessage) => string;
  /** Fastify's `request.ip` for the app's `trustProxy` (`clientAddressFor`). */
  clientAddress: (request: IncomingMessage) => string | undefined;
}

/** A fast-read route as the HTTP server matches it: its path as a pattern, its parameters' names. */
interface EarlyRoute {
  pattern: RegExp;
  names: string[];
  answer: (request: FastifyRequest, reply: FastifyReply, handOn: (error?: Error) => void) => void;
  finished: (reply: EarlyReply) => void;
}

/** A parameter answered early: unreserved characters only (nothing to decode), at most Fastify's maxParamLength. */
const EARLY_PARAMETER = '([A-Za-z0-9._~-]{1,100})';

/** Set on a request the early path peeked and handed on: Fastify's hook does not peek again. */
const PEEKED = Symbol('stockroom:fast-read-peeked');

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
 *
 * Over HTTP the same reads are also offered the request before Fastify routes it (`answerEarly`,
 * from the server `serverWithEarlyAnswers` makes): Fastify's request, reply and hooks cost an
 * L1 hit about a sixth of its CPU. The route hook stays for what that path leaves (and `inject`).
 */
@Injectable()
export class FastReads {
  private readonly reads = new Map<string, FastRead>();
  private guards: readonly CanActivate[] = [];
  private served?: HotCounter;
  private readonly earlyRoutes: EarlyRoute[] = [];
  /** GET routes without parameters: Fastify's router prefers them to a parameter, so the early path does too. */
  private readonly staticGets = new Set<string>();
  private early?: EarlySetup & { fields: readonly string[] };
  private closing = false;

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

  /**
   * Answers the fast reads from the HTTP server's request event, before Fastify's router, from now
   * on (the app is built: routes, guards). Only requests answered exactly as through Fastify are
   * taken: a GET of a fast-read route's path with plain parameters and no query. Anything else,
   * and every request the peek does not find, goes to Fastify. Not for request logging (Fastify
   * logs what it serves).
   */
  answerEarly(setup: EarlySetup): void {
    this.early = { ...setup, fields: headerList(setup.headers) };
  }

  /** From Fastify's preClose: while it closes, Fastify answers (503 Service Unavailable). */
  stopAnsweringEarly(): void {
    this.closing = true;
  }

  /** For `serverWithEarlyAnswers`: the early path while it is on. */
  readonly earlyHandler = () => (this.early && !this.closing ? this.takeEarly : undefined);

  /** Every route Fastify registers passes here, from configureFastify's onRoute. */
  routeAdded(method: string, url: string): void {
    if (method === 'GET' && !url.includes(':') && !url.includes('*')) this.staticGets.add(url);
  }

  /**
   * The onRequest hook for a Fastify route, when a fast read is registered for it; `record` is what
   * the route's onSend records (latency), also run for the route's early answers.
   */
  hookFor(method: string, url: string, record?: (reply: FastifyReply) => void): RouteHook | undefined {
    const read = this.reads.get(`${method} ${url}`);
    if (!read) return undefined;
    const answer = this.answering(read, url);
    if (method === 'GET') {
      const parts = url.split('/');
      const names = parts.filter((part) => part.startsWith(':')).map((part) => part.slice(1));
      const pattern = new RegExp(`^${parts.map((part) => (part.startsWith(':') ? EARLY_PARAMETER : escapeRegExp(part))).join('/')}$`);
      const finished = (reply: EarlyReply) => {
        this.early?.inFlight.leave(reply.request);
        record?.(reply as unknown as FastifyReply);
      };
      this.earlyRoutes.push({ pattern, names, answer, finished });
    }
    return (request, reply, done) => {
      if ((request.raw as { [PEEKED]?: boolean })[PEEKED]) return withinRequest(request, reply, done);
      answer(request, reply, (error) => withinRequest(request, reply, () => done(error)));
    };
  }

  /** Takes a GET of a fast-read route (see `answerEarly`); false leaves the request to Fastify. */
  private readonly takeEarly = (raw: IncomingMessage, response: ServerResponse, fastify: FastifyHandler): boolean => {
    // Reached through `earlyHandler`, which has checked that the early path is on and not closing.
    const early = this.early;
    const url = raw.url;
    if (early === undefined || raw.method !== 'GET' || url === undefined || this.staticGets.has(url)) return false;
    for (const route of this.earlyRoutes) {
      const match = route.pattern.exec(url);
      if (match === null) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < route.names.length; i++) params[route.names[i]] = match[i + 1];
      const request = new EarlyRequest(raw, early.requestId(raw), params, early.clientAddress);
      const reply = new EarlyReply(response, request, early.fields, route.finished);
      early.inFlight.enter(request);
      // Cast: the guards and the fast read use only what EarlyRequest/EarlyReply have.
      const asFastify = [request as unknown as FastifyRequest, reply as unknown as FastifyReply] as const;
      try {
        route.answer(...asFastify, () => {
          // Not found in cache (or the peek failed): Fastify serves it, without peeking again.
          early.inFlight.leave(request);
          (raw as { [PEEKED]?: boolean })[PEEKED] = true;
          fastify(raw, response);
        });
      } catch (error) {
        // What Fastify does with a hook that throws; here it would reach the server's 'request' event.
        withinRequest(...asFastify, () => sendError(asFastify[1], error));
      }
      return true;
    }
    return false;
  };

  /** Peek, guards, answer: shared by the route hook and the early path; `handOn` gives the request to Nest. */
  private answering(read: FastRead, url: string): (request: FastifyRequest, reply: FastifyReply, handOn: (error?: Error) => void) => void {
    // By where the answer left: the HTTP server's request event, or the route's Fastify hook.
    let countedEarly: CounterSeries | undefined;
    let countedInHook: CounterSeries | undefined;
    const send = (answer: FastAnswer, request: FastifyRequest, reply: FastifyReply) => {
      let body: ReturnType<typeof conditionalGet>;
      try {
        body = conditionalGet(request, reply, answer.representation, answer.cacheControl ?? read.cacheControl);
      } catch (error) {
        return withinRequest(request, reply, () => sendError(reply, error));
      }
      answer.served?.();
      if ((reply as unknown) instanceof EarlyReply) (countedEarly ??= this.served?.series(url, 'before-fastify'))?.inc();
      else (countedInHook ??= this.served?.series(url, 'fastify-hook'))?.inc();
      void reply.send(body);
    };
    const admit = (answer: FastAnswer | undefined, request: FastifyRequest, reply: FastifyReply, handOn: (error?: Error) => void) => {
      if (!answer) return handOn();
      const context = new ExecutionContextHost([request, reply, undefined], read.controller, read.handler);
      context.setType('http');
      this.guard(context, 0, (error) => (error === undefined ? send(answer, request, reply) : withinRequest(request, reply, () => sendError(reply, error))));
    };
    // Once a reply is sent, `handOn` is not called: Fastify stops at a hook that answered.
    return (request, reply, handOn) => {
      const peeked = read.peek(request);
      if (peeked instanceof Promise) peeked.then((answer) => admit(answer, request, reply, handOn), (error: Error) => handOn(error));
      else admit(peeked, request, reply, handOn);
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
