import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { serializeJson } from './representation';

/** Fastify's request handler, as it hands it to a `serverFactory`. */
export type FastifyHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Takes a request before Fastify when it can answer it exactly as Fastify would; false leaves it
 * to Fastify. Once taken, it answers, or calls `handOn` (later, possibly) to give it to Fastify.
 */
export type EarlyHandler = (request: IncomingMessage, response: ServerResponse, handOn: FastifyHandler) => boolean;

/** The timeouts Fastify sets on a server it creates itself (its options, defaults applied). */
interface ServerTimeouts {
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  maxRequestsPerSocket: number;
}

/**
 * A `serverFactory` for Fastify: the HTTP/1 server Fastify would create, whose requests meet
 * `early` first. Fastify documents the option; it applies none of its server settings to a server
 * it did not create, so they are applied here as Fastify applies them.
 */
export function serverWithEarlyAnswers(early: () => EarlyHandler | undefined): (handler: FastifyHandler, options: Record<string, unknown>) => Server {
  return (handler, options) => {
    const server = createServer((request, response) => {
      if (!early()?.(request, response, handler)) handler(request, response);
    });
    const timeouts = options as unknown as ServerTimeouts;
    server.keepAliveTimeout = timeouts.keepAliveTimeout;
    server.requestTimeout = timeouts.requestTimeout;
    server.setTimeout(timeouts.connectionTimeout);
    if (timeouts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = timeouts.maxRequestsPerSocket;
    return server;
  };
}

/** The client's address as Fastify's `request.ip` works it out for the same `trustProxy` (a list of trusted proxies, or none). */
export function clientAddressFor(trustProxy: readonly string[]): (request: IncomingMessage) => string | undefined {
  if (trustProxy.length === 0) return (request) => request.socket.remoteAddress;
  const trusted = proxyAddr.compile([...trustProxy]);
  return (request) => {
    const chain = proxyAddr.all(request, trusted);
    return chain[chain.length - 1];
  };
}

/**
 * What a request answered before Fastify shows the fast read, the app's guards and the error
 * path: the members of FastifyRequest they read, and room for what they attach (the principal).
 */
export class EarlyRequest {
  readonly headers: IncomingHttpHeaders;

  constructor(
    readonly raw: IncomingMessage,
    readonly id: string,
    readonly params: Readonly<Record<string, string>>,
    private readonly address: (request: IncomingMessage) => string | undefined,
  ) {
    this.headers = raw.headers;
  }

  get ip(): string | undefined {
    return this.address(this.raw);
  }

  get url(): string | undefined {
    return this.raw.url;
  }

  get method(): string | undefined {
    return this.raw.method;
  }

  /** Always empty: a request with a query string is left to Fastify. */
  get query(): Readonly<Record<string, string>> {
    return NO_QUERY;
  }
}

const NO_QUERY: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The members of FastifyReply that the fast read, the guards and `sendError` use, writing to
 * Node's response as Fastify's `send` does: status, the headers set so far, Content-Type and
 * Content-Length for a JSON body, nothing for a 304. `finished` runs where Fastify's onSend hooks
 * would (metrics, in-flight count).
 */
export class EarlyReply {
  statusCode = 200;
  sent = false;
  private readonly started = performance.now();
  /** The response's header fields, names lower case, as one flat list (name, value, name, value…): what writeHead takes. */
  private readonly fields: (string | number)[];

  constructor(
    readonly raw: ServerResponse,
    readonly request: EarlyRequest,
    headers: readonly string[],
    private readonly finished: (reply: EarlyReply) => void,
  ) {
    this.fields = headers.concat('x-request-id', request.id);
  }

  /** Milliseconds since the request arrived, as Fastify's. */
  get elapsedTime(): number {
    return performance.now() - this.started;
  }

  header(name: string, value: string | number): this {
    const field = name.toLowerCase();
    const at = this.find(field);
    if (at < 0) this.fields.push(field, value);
    else this.fields[at + 1] = value;
    return this;
  }

  headers(values: Readonly<Record<string, string | number>>): this {
    for (const name of Object.keys(values)) this.header(name, values[name]);
    return this;
  }

  getHeader(name: string): string | number | undefined {
    const at = this.find(name.toLowerCase());
    return at < 0 ? undefined : this.fields[at + 1];
  }

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  code(code: number): this {
    return this.status(code);
  }

  send(payload?: unknown): this {
    if (this.sent) return this;
    this.sent = true;
    const body = payload === undefined || this.statusCode === 304 ? undefined : serializeJson(payload);
    if (body !== undefined) {
      if (this.find('content-type') < 0) this.fields.push('content-type', 'application/json; charset=utf-8');
      this.fields.push('content-length', Buffer.byteLength(body));
    }
    this.finished(this);
    this.raw.writeHead(this.statusCode, this.fields as string[]);
    this.raw.end(body);
    return this;
  }

  private find(field: string): number {
    for (let i = 0; i < this.fields.length; i += 2) if (this.fields[i] === field) return i;
    return -1;
  }
}

/** Header fields as EarlyReply takes them: one flat list, names lower case. */
export function headerList(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers).flatMap(([name, value]) => [name.toLowerCase(), value]);
}
