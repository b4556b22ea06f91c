import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InFlightRequests } from './in-flight';

const STREAMS = Symbol('stockroom:event-streams');
/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

interface StreamRegistry {
  open: Set<EventStream>;
  inFlight: InFlightRequests;
}

/**
 * Lets routes of this Fastify instance answer with Server-Sent Events: an open stream is not an
 * in-flight request (shutdown would wait for it forever), and every stream still open when the
 * server closes is ended first, so clients reconnect to another instance.
 */
export function supportEventStreams(fastify: FastifyInstance, inFlight: InFlightRequests): void {
  const registry: StreamRegistry = { open: new Set(), inFlight };
  (fastify as unknown as Record<symbol, StreamRegistry>)[STREAMS] = registry;
  fastify.addHook('preClose', (done) => {
    for (const stream of registry.open) stream.close();
    done();
  });
}

/**
 * One `text/event-stream` response (the reply is hijacked: Fastify sends nothing more). Headers
 * already set on the reply (request id, security headers, rate limits, CORS) go out with it.
 */
export class EventStream {
  private readonly raw: ServerResponse;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closers: Array<() => void> = [];
  private ended = false;

  private constructor(request: FastifyRequest, reply: FastifyReply, retryMs: number) {
    const registry = (request.server as unknown as Record<symbol, StreamRegistry | undefined>)[STREAMS];
    if (!registry) throw new Error('EventStream: supportEventStreams() was not called for this Fastify instance');
    registry.inFlight.leave(request);
    void reply.hijack();
    this.raw = reply.raw;
    const headers = { ...reply.getHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'private, no-store', 'x-accel-buffering': 'no' };
    delete headers['content-length'];
    this.raw.writeHead(200, headers as Record<string, string>);
    this.raw.write(`retry: ${retryMs}\n\n`);
    registry.open.add(this);
    this.heartbeat = setInterval(() => this.raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
    const finish = () => {
      if (this.ended) return;
      this.ended = true;
      clearInterval(this.heartbeat);
      registry.open.delete(this);
      for (const closer of this.closers.splice(0)) closer();
    };
    // The response closes when it ends or when the client goes away (the request's own 'close' only means its body was read).
    this.raw.on('close', finish);
  }

  /** Hijacks the reply and starts the stream; `retryMs` is how soon a client's EventSource reconnects. */
  static open(request: FastifyRequest, reply: FastifyReply, retryMs = 2_000): EventStream {
    return new EventStream(request, reply, retryMs);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** One event: `event: <name>`, its JSON on one `data:` line. */
  send(event: string, data: unknown): void {
    if (this.ended) return;
    this.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the response; the client's EventSource would reconnect unless told the stream is over. */
  close(): void {
    if (!this.ended) this.raw.end();
  }

  /** Runs once the stream is over, whoever ended it (the server, the client, a shutdown). */
  onClose(closer: () => void): void {
    if (this.ended) closer();
    else this.closers.push(closer);
  }
}
