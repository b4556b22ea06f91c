import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { DomainError } from '../errors/domain-error';

/**
 * A response body rendered once: its JSON text and a strong ETag of those bytes. Sent as it is
 * by the reply serializer (`configureFastify`), so a cached object is never serialised twice.
 */
export class JsonRepresentation {
  constructor(
    readonly body: string,
    readonly etag: string,
  ) {}

  static of(value: unknown): JsonRepresentation {
    return JsonRepresentation.fromBody(JSON.stringify(value));
  }

  /** A JSON array of representations already rendered (their bodies are reused, not serialised again). */
  static array(items: JsonRepresentation[]): JsonRepresentation {
    return JsonRepresentation.fromBody(`[${items.map((item) => item.body).join(',')}]`);
  }

  private static fromBody(body: string): JsonRepresentation {
    return new JsonRepresentation(body, `"${hash('sha1', body, 'base64url')}"`);
  }
}

/** Fastify's reply serializer: pre-rendered bodies as they are, anything else as JSON. */
export function serializeJson(payload: unknown): string {
  return payload instanceof JsonRepresentation ? payload.body : JSON.stringify(payload);
}

/**
 * Renders values of one kind (a product, a list page) once per object: a cache hit from the
 * in-process L1 returns the same object, so its body and ETag are computed on the first hit only.
 * A value that does not render the same way twice must not be passed here.
 */
export class Representations<T extends object> {
  private readonly rendered = new WeakMap<T, { version: number; representation: JsonRepresentation }>();

  /** `version`: what else the rendering reads (e.g. live figures); a rendering made at another version is made again. */
  constructor(
    private readonly render: (value: T) => unknown,
    private readonly version: () => number = () => 0,
  ) {}

  of(value: T): JsonRepresentation {
    const version = this.version();
    const made = this.rendered.get(value);
    if (made?.version === version) return made.representation;
    const representation = JsonRepresentation.of(this.render(value));
    this.rendered.set(value, { version, representation });
    return representation;
  }
}

/** RFC 9110 §13.1.2: If-None-Match matches with the weak comparison; `*` matches any current representation. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header === etag) return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  return listsTag(header, (tag) => (tag.startsWith('W/') ? tag.slice(2) : tag) === opaque);
}

/** A conditional header's list of entity tags: `*`, or one tag that `matches`. */
function listsTag(header: string, matches: (tag: string) => boolean): boolean {
  for (const candidate of header.split(',')) {
    const tag = candidate.trim();
    if (tag === '*' || matches(tag)) return true;
  }
  return false;
}

/**
 * RFC 9110 §13.1.1: If-Match holds when it names the current representation with the strong
 * comparison (a weak tag never matches), or is `*` (some representation exists).
 */
export function ifMatchHolds(header: string, etag: string): boolean {
  const strong = !etag.startsWith('W/');
  return listsTag(header, (tag) => strong && tag === etag);
}

/**
 * The request's If-Match as a check of the resource's current state, given how its ETag is made;
 * undefined when the request sent none (the write is unconditional).
 */
export function ifMatchPrecondition<T>(request: FastifyRequest, etagOf: (current: T) => string): ((current: T) => boolean) | undefined {
  const header = request.headers['if-match'];
  return header === undefined ? undefined : (current) => ifMatchHolds(header, etagOf(current));
}

/** A conditional request (If-Match) whose precondition does not hold: nothing was changed, nothing is sent. */
export class PreconditionFailedError extends DomainError {
  readonly status = 412;
  readonly code = 'PRECONDITION_FAILED';

  /** `what`: the resource a write was refused for; none for a read. */
  constructor(what?: string) {
    super(
      what === undefined
        ? 'the current representation is not one named in If-Match'
        : `${what} has changed since the ETag in If-Match was read; read it again before changing it`,
    );
  }
}

/** Cache-Control for public catalogue reads: shared caches may keep them briefly and revalidate in the background. */
export function publicCacheControl(config: Pick<AppConfig, 'http'>): string {
  return `public, max-age=${config.http.cacheMaxAgeSeconds}, stale-while-revalidate=${config.http.staleWhileRevalidateSeconds}`;
}

/**
 * A written resource's answer: the representation a GET of it now answers, with its ETag, so the
 * client's next `If-Match` needs no read in between.
 */
export function writtenAnswer(reply: FastifyReply, representation: JsonRepresentation): JsonRepresentation {
  void reply.header('etag', representation.etag);
  return representation;
}

/**
 * Answers a conditional GET: sets ETag and Cache-Control, and when the client already holds
 * this representation answers 304 with no body (undefined is returned). Otherwise returns the
 * representation for the handler to return (status 200). An If-Match that names no current
 * representation throws PreconditionFailedError (412) first, as RFC 9110 §13.2.2 orders it,
 * before any header is set: the error keeps the default `private, no-store`.
 */
export function conditionalGet(
  request: FastifyRequest,
  reply: FastifyReply,
  representation: JsonRepresentation,
  cacheControl: string,
): JsonRepresentation | undefined {
  const ifMatch = request.headers['if-match'];
  if (ifMatch !== undefined && !ifMatchHolds(ifMatch, representation.etag)) throw new PreconditionFailedError();
  void reply.header('etag', representation.etag);
  void reply.header('cache-control', cacheControl);
  if (!ifNoneMatchHits(request.headers['if-none-match'], representation.etag)) return representation;
  void reply.status(304);
  return undefined;
}
