import { CanActivate, Controller, ExecutionContext, Get } from '@nestjs/common';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { clientAddressFor, serverWithEarlyAnswers } from './early-answers';
import { FastAnswer, FastReads } from './fast-reads';
import { InFlightRequests } from './in-flight';
import { JsonRepresentation, serializeJson } from './representation';

@Controller('things')
class ThingsController {
  @Get(':id')
  byId(): string {
    return 'from the handler';
  }
}

const cached = JsonRepresentation.of({ id: 1, from: 'cache' });

interface Served {
  app: FastifyInstance;
  reads: FastReads;
  inFlight: InFlightRequests;
  url: string;
  /** Requests Fastify's own onRequest hook saw. */
  throughFastify: string[];
  peeks: string[];
  recorded: number[];
}

/**
 * A Fastify app whose server answers `/things/:id` early: the route registered as the app does
 * it (configureFastify's onRoute), a static sibling `/things/special`, and Fastify's handler
 * answering whatever the early path leaves.
 */
async function serve(peek: (id: string) => FastAnswer | undefined | Promise<FastAnswer | undefined>, options: { guards?: CanActivate[]; trustProxy?: string[] } = {}): Promise<Served> {
  const reads = new FastReads();
  const inFlight = new InFlightRequests();
  const served = { reads, inFlight, throughFastify: [] as string[], peeks: [] as string[], recorded: [] as number[] };
  reads.register({
    controller: ThingsController,
    handler: ThingsController.prototype.byId,
    cacheControl: 'public, max-age=5',
    peek: (request) => {
      const { id } = request.params as { id: string };
      served.peeks.push(id);
      return peek(id);
    },
  });
  reads.useGuards(options.guards ?? []);
  const app = Fastify({ serverFactory: serverWithEarlyAnswers(reads.earlyHandler), keepAliveTimeout: 4321 });
  app.setReplySerializer(serializeJson);
  app.addHook('onRequest', (request, _reply, done) => {
    served.throughFastify.push(request.url);
    done();
  });
  app.addHook('onRoute', (route) => reads.routeAdded(String(route.method), route.url));
  const record = (reply: FastifyReply) => served.recorded.push(reply.statusCode);
  app.get('/things/special', async () => ({ from: 'static route' }));
  app.get('/things/:id', { onRequest: reads.hookFor('GET', '/things/:id', record) }, async (request: FastifyRequest) => ({ from: 'handler', id: (request.params as { id: string }).id }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  reads.answerEarly({
    headers: { 'x-frame-options': 'DENY', 'cache-control': 'private, no-store' },
    inFlight,
    requestId: () => 'early-1',
    clientAddress: clientAddressFor(options.trustProxy ?? []),
  });
  return { app, ...served, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

describe('answers before Fastify (FastReads.answerEarly, serverWithEarlyAnswers)', () => {
  let served: Served | undefined;

  afterEach(async () => {
    await served?.app.close();
    served = undefined;
  });

  it('answers a cached read in the server\'s request event, with the headers, ETag and Cache-Control Fastify would send', async () => {
    served = await serve(() => ({ representation: cached }));
    const response = await fetch(`${served.url}/things/1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 1, from: 'cache' });
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'x-frame-options': 'DENY',
      'x-request-id': 'early-1',
      etag: cached.etag,
      'cache-control': 'public, max-age=5',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(cached.body)),
    });
    expect(served.throughFastify).toEqual([]);
    expect(served.recorded).toEqual([200]);
    expect(served.inFlight.count).toBe(0);
    // The server is the one Fastify would have made: its settings applied.
    expect(served.app.server.keepAliveTimeout).toBe(4321);
  });

  it('answers 304 with no body and no Content-Type', async () => {
    served = await serve(() => ({ representation: cached }));
    const response = await fetch(`${served.url}/things/1`, { headers: { 'if-none-match': cached.etag } });
    expect(response.status).toBe(304);
    expect(await response.text()).toBe('');
    expect(response.headers.get('content-type')).toBeNull();
    expect(response.headers.get('etag')).toBe(cached.etag);
  });

  it('waits for a peek that reads Redis, counting the request in flight meanwhile', async () => {
    let release!: () => void;
    served = await serve(() => new Promise<FastAnswer>((resolve) => (release = () => resolve({ representation: cached }))));
    const pending = fetch(`${served.url}/things/1`);
    await until(() => served!.peeks.length === 1);
    expect(served.inFlight.count).toBe(1);
    release();
    expect(await (await pending).json()).toEqual({ id: 1, from: 'cache' });
    expect(served.inFlight.count).toBe(0);
    expect(served.throughFastify).toEqual([]);
  });

  it('hands what the peek does not find to Fastify, which does not peek again', async () => {
    served = await serve(() => Promise.resolve(undefined));
    const response = await fetch(`${served.url}/things/7`);
    expect(await response.json()).toEqual({ from: 'handler', id: '7' });
    expect(served.peeks).toEqual(['7']);
    expect(served.throughFastify).toEqual(['/things/7']);
    expect(served.inFlight.count).toBe(0);
  });

  it('leaves to Fastify what it could not answer exactly as Fastify: a static route, a query, encoded or long parameters, other methods', async () => {
    served = await serve(() => ({ representation: cached }));
    const long = 'x'.repeat(101);
    expect(await (await fetch(`${served.url}/things/special`)).json()).toEqual({ from: 'static route' });
    expect(await (await fetch(`${served.url}/things/1?fresh=1`)).json()).toEqual({ id: 1, from: 'cache' });
    expect(await (await fetch(`${served.url}/things/%31`)).json()).toEqual({ id: 1, from: 'cache' });
    expect((await fetch(`${served.url}/things/${long}`)).status).toBe(414);
    expect((await fetch(`${served.url}/things/1`, { method: 'HEAD' })).status).toBe(200);
    // Fastify's router refuses the long parameter (414) before any hook runs.
    expect(served.throughFastify).toEqual(['/things/special', '/things/1?fresh=1', '/things/%31', '/things/1']);
    // Fastify's hook decoded %31 and peeked; the early path peeked none of these.
    expect(served.peeks).toEqual(['1', '1', '1']);
  });

  it('refuses through the same error path: a guard\'s refusal is a JSON error with the headers set so far', async () => {
    const limiter: CanActivate = {
      canActivate(context: ExecutionContext) {
        void context.switchToHttp().getResponse<FastifyReply>().header('X-RateLimit-Remaining', 0);
        return false;
      },
    };
    served = await serve(() => ({ representation: cached }), { guards: [limiter] });
    const response = await fetch(`${served.url}/things/1`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(served.recorded).toEqual([403]);
    expect(served.throughFastify).toEqual([]);
  });

  it('answers 500 when the peek throws, as Fastify does for a hook that throws, and keeps serving', async () => {
    let broken = true;
    served = await serve(() => {
      if (broken) throw new Error('not this time');
      return { representation: cached };
    });
    const failed = await fetch(`${served.url}/things/1`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ statusCode: 500 });
    broken = false;
    expect((await fetch(`${served.url}/things/1`)).status).toBe(200);
  });

  it('gives the guards the client address Fastify would: X-Forwarded-For only from a trusted proxy', async () => {
    const seen: Array<string | undefined> = [];
    const tracker: CanActivate = {
      canActivate(context: ExecutionContext) {
        const request = context.switchToHttp().getRequest<FastifyRequest>();
        seen.push(`${request.method} ${request.url} ${JSON.stringify(request.query)} ${request.ip}`);
        return true;
      },
    };
    served = await serve(() => ({ representation: cached }), { guards: [tracker], trustProxy: ['127.0.0.1'] });
    await fetch(`${served.url}/things/1`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    await served.app.close();
    served = await serve(() => ({ representation: cached }), { guards: [tracker] });
    await fetch(`${served.url}/things/1`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(seen).toEqual(['GET /things/1 {} 203.0.113.7', 'GET /things/1 {} 127.0.0.1']);
  });

  it('stops answering once Fastify closes, so Fastify answers 503 from then on', async () => {
    served = await serve(() => ({ representation: cached }));
    expect(served.reads.earlyHandler()).toBeDefined();
    served.reads.stopAnsweringEarly();
    expect(served.reads.earlyHandler()).toBeUndefined();
    await fetch(`${served.url}/things/1`);
    expect(served.throughFastify).toEqual(['/things/1']);
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
