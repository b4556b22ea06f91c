import { CanActivate, Controller, ExecutionContext, Get, HttpException } from '@nestjs/common';
import Fastify, { FastifyInstance } from 'fastify';
import { of } from 'rxjs';
import { currentRequestId } from '../logging/request-context';
import { FastAnswer, FastReads } from './fast-reads';
import { JsonRepresentation, serializeJson } from './representation';

@Controller('things')
class ThingsController {
  @Get(':id')
  byId(): string {
    return 'from the handler';
  }
}

const guard = (verdict: (context: ExecutionContext) => ReturnType<CanActivate['canActivate']>): CanActivate & { calls: number } => {
  const made = {
    calls: 0,
    canActivate(context: ExecutionContext) {
      made.calls++;
      return verdict(context);
    },
  };
  return made;
};

/** The fast read hook on a bare Fastify route: the handler answers whatever the peek leaves. */
async function serve(peek: () => FastAnswer | undefined | Promise<FastAnswer | undefined>, guards: CanActivate[]): Promise<FastifyInstance> {
  const reads = new FastReads();
  reads.register({ controller: ThingsController, handler: ThingsController.prototype.byId, cacheControl: 'public, max-age=5', peek });
  reads.useGuards(guards);
  const app = Fastify();
  app.setReplySerializer(serializeJson);
  app.get('/things/:id', { onRequest: reads.hookFor('GET', '/things/:id') }, async () => ({ from: 'handler' }));
  await app.ready();
  return app;
}

describe('FastReads', () => {
  const cached = JsonRepresentation.of({ id: 1, from: 'cache' });
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers a cached value after synchronous guards, with its ETag and Cache-Control', async () => {
    const first = guard(() => true);
    const second = guard(() => true);
    app = await serve(() => ({ representation: cached }), [first, second]);
    const response = await app.inject('/things/1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: 1, from: 'cache' });
    expect(response.headers.etag).toBe(cached.etag);
    expect(response.headers['cache-control']).toBe('public, max-age=5');
    expect([first.calls, second.calls]).toEqual([1, 1]);
  });

  it('answers 304 to a matching If-None-Match and counts the view once', async () => {
    let served = 0;
    app = await serve(() => ({ representation: cached, served: () => served++, cacheControl: 'private, no-store' }), []);
    const response = await app.inject({ url: '/things/1', headers: { 'if-none-match': cached.etag } });
    expect(response.statusCode).toBe(304);
    expect(response.body).toBe('');
    expect(response.headers['cache-control']).toBe('private, no-store');
    expect(served).toBe(1);
  });

  it('waits for a peek that reads Redis, and for guards that answer with a promise or an Observable', async () => {
    const order: string[] = [];
    const asynchronous = guard(async () => {
      order.push('promise');
      return true;
    });
    const observable = guard(() => {
      order.push('observable');
      return of(true);
    });
    const synchronous = guard(() => {
      order.push('sync');
      return true;
    });
    app = await serve(() => Promise.resolve({ representation: cached }), [asynchronous, synchronous, observable]);
    const response = await app.inject('/things/1');
    expect(response.json()).toEqual({ id: 1, from: 'cache' });
    expect(order).toEqual(['promise', 'sync', 'observable']);
  });

  it('stops at the first guard that refuses: 403 from false, the guard\'s own error from a throw or a rejection', async () => {
    const later = guard(() => true);
    app = await serve(() => ({ representation: cached }), [guard(() => false), later]);
    const refused = await app.inject('/things/1');
    expect(refused.statusCode).toBe(403);
    expect(later.calls).toBe(0);
    await app.close();

    const tooMany = new HttpException('slow down', 429);
    app = await serve(() => ({ representation: cached }), [guard(() => Promise.reject(tooMany)), later]);
    expect((await app.inject('/things/1')).statusCode).toBe(429);
    await app.close();

    app = await serve(() => ({ representation: cached }), [
      guard(() => {
        throw tooMany;
      }),
      later,
    ]);
    expect((await app.inject('/things/1')).statusCode).toBe(429);
    expect(later.calls).toBe(0);
  });

  it('hands a miss to the route\'s handler without running the guards (Nest runs them there)', async () => {
    const checked = guard(() => true);
    app = await serve(() => Promise.resolve(undefined), [checked]);
    const response = await app.inject('/things/1');
    expect(response.json()).toEqual({ from: 'handler' });
    expect(checked.calls).toBe(0);
  });

  it('enters the request context only when it hands the request on: a cached answer is sent without one', async () => {
    const reads = new FastReads();
    const seen: Array<string | undefined> = [];
    let answer: FastAnswer | undefined;
    reads.register({
      controller: ThingsController,
      handler: ThingsController.prototype.byId,
      cacheControl: 'public, max-age=5',
      peek: (request) => (request.params as { id: string }).id === 'async' ? Promise.resolve(answer) : answer,
    });
    reads.useGuards([guard(() => (seen.push(currentRequestId()), true))]);
    app = Fastify({ genReqId: () => 'req-1' });
    app.setReplySerializer(serializeJson);
    app.get('/things/:id', { onRequest: reads.hookFor('GET', '/things/:id') }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return { from: 'handler', reqId: currentRequestId() };
    });
    answer = { representation: cached };
    expect((await app.inject('/things/1')).json()).toEqual({ id: 1, from: 'cache' });
    expect(seen).toEqual([undefined]);
    answer = undefined;
    expect((await app.inject('/things/1')).json()).toEqual({ from: 'handler', reqId: 'req-1' });
    expect((await app.inject('/things/async')).json()).toEqual({ from: 'handler', reqId: 'req-1' });
  });

  it('has no hook for a route nothing registered', () => {
    expect(new FastReads().hookFor('GET', '/things/:id')).toBeUndefined();
  });
});
