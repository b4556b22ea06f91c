import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MalformedJsonError } from '../errors/domain-error';
import { toErrorResponse } from '../errors/http-error.filter';
import type { InFlightRequests } from './in-flight';
import { serializeJson } from './representation';
import type { HttpMetrics } from '../metrics/metrics.module';
import type { FastReads } from './fast-reads';
import { supportEventStreams } from './event-stream';
import { withinRequest } from '../logging/request-context';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is sane, so logs correlate across services. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}


/** Every response gets these unless its route says otherwise: nothing is stored by a shared cache by default. */
export const DEFAULT_CACHE_CONTROL = 'private, no-store';

export interface FastifySetup {
  inFlight: InFlightRequests;
  /** Set on every response (security headers, the default Cache-Control), computed once at boot. */
  headers?: Readonly<Record<string, string>>;
  /** Pages for browsers (Swagger UI, the queue board): their routes get these headers instead (a document CSP). */
  documents?: { prefixes: readonly string[]; headers: Readonly<Record<string, string>> };
  /** Request latency per route, recorded as each answer is handed to Fastify. */
  metrics?: HttpMetrics;
  /** Routes that may be answered from what is already rendered in process, before Nest's pipeline. */
  fastReads?: FastReads;
}

/** The headers every response starts with: `headers` and the default Cache-Control. */
export function responseHeaders(headers?: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  return { ...headers, 'cache-control': headers?.['cache-control'] ?? DEFAULT_CACHE_CONTROL };
}

const METHODS_OF = (method: string | string[]): string[] => (Array.isArray(method) ? method : [method]);

/** A route's hook list with `hook` last, or first (Fastify takes one hook or an array). */
function addHook<H>(existing: H | H[] | undefined, hook: H, first = false): H | H[] {
  if (!existing) return hook;
  return first ? [hook, ...[existing].flat()] as H[] : [...[existing].flat(), hook] as H[];
}

/**
 * JSON only: bodies of any other type get 415, and a JSON body that does not parse becomes a
 * MALFORMED_JSON error (Fastify's own parse error would reach the filter as an anonymous 400).
 * A pre-rendered `JsonRepresentation` is sent as it is; anything else goes through JSON.stringify.
 * Every request carries X-Request-Id and the static headers, and is counted in `inFlight` from
 * arrival until its answer is handed to Fastify (onSend runs even when the client has already
 * gone). One hook at each end: every hook is paid by every request. Each route's own first hook
 * starts the request context (`withinRequest`), except where a fast read answers from cache: that
 * one starts it only when it hands the request on.
 */
export function configureFastify(fastify: FastifyInstance, setup: FastifySetup): void {
  const { inFlight, metrics } = setup;
  const headers = responseHeaders(setup.headers);
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error, value) => {
      if (error) done(new MalformedJsonError(error.message), undefined);
      else done(null, value);
    });
  });
  fastify.setReplySerializer(serializeJson);
  supportEventStreams(fastify, inFlight);
  fastify.addHook('onRequest', (request, reply, done) => {
    inFlight.enter(request);
    void reply.headers(headers);
    void reply.header('x-request-id', request.id);
    done();
  });
  const unmatched = metrics?.recorder('ANY', 'unmatched');
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (inFlight.leave(request) && request.is404) unmatched?.(reply);
    done(null, payload);
  });
  // From here Fastify answers 503 to new requests; the early path leaves them to it.
  fastify.addHook('preClose', (done) => {
    setup.fastReads?.stopAnsweringEarly();
    done();
  });
  const { documents } = setup;
  // What depends on the route alone is decided here, once per route, not per request.
  fastify.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (documents?.prefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`))) {
      const documentHeaders = { ...documents.headers, 'cache-control': headers['cache-control'] };
      const asDocument = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        void reply.headers(documentHeaders);
        done();
      };
      route.onRequest = addHook(route.onRequest, asDocument);
    }
    const methods = METHODS_OF(route.method);
    for (const method of methods) setup.fastReads?.routeAdded(method, url);
    const record = metrics?.recorder(methods.join(','), url);
    const fastRead = route.method === 'GET' ? setup.fastReads?.hookFor('GET', url, record) : undefined;
    route.onRequest = fastRead ? addHook(route.onRequest, fastRead) : addHook(route.onRequest, withinRequest, true);
    if (record) {
      const observe = (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
        record(reply);
        done(null, payload);
      };
      route.onSend = addHook(route.onSend, observe);
    }
  });
}

/** Errors Fastify raises before routing (a malformed URL) get the same body as every other error. */
export function frameworkErrorHandler(error: { statusCode?: number; message: string }, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.status(status).send(toErrorResponse({ statusCode: status, message: error.message }));
}
