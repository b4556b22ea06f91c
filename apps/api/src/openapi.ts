import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { STATUS_CODES } from 'node:http';
import { ACCESS_EXTENSION, errorExample, errorSchema, ROLES } from '@stockroom/core';
import type { Access, AppConfig } from '@stockroom/core';
import { ApiModule } from './api.module';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

const DESCRIPTION = [
  'Inventory and product-catalogue API.',
  '',
  'Every error is `{statusCode, error, code, message, details?}`; `code` is stable and machine-readable.',
  'Prices are exact decimal strings such as `"19.99"`. Every response carries `X-Request-Id`.',
  '',
  'Sign in with `POST /auth/login`: browsers keep the HttpOnly `sid` cookie; other clients send the returned token as',
  '`Authorization: Bearer <token>`. Each operation states what it requires (`x-access`, `security`): public routes need',
  'nothing; the others answer 401 `NOT_SIGNED_IN` without a live session and 403 `FORBIDDEN` to other roles.',
].join('\n');

const SECURITY = [{ cookie: [] }, { bearer: [] }];

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Stockroom')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .addServer('/', 'This server')
    .addTag('products', 'The product catalogue')
    .addTag('inventory', 'Stock levels, adjustments, reservations and the ledger')
    .addTag('stats', 'View, sale and search rankings')
    .addTag('cache', 'Cache statistics and invalidation')
    .addTag('health', 'Liveness and readiness probes')
    .addTag('auth', 'Accounts and sessions')
    .addTag('orders', 'Orders: accepted at once, processed by the worker')
    .addCookieAuth('sid', { type: 'apiKey', in: 'cookie', name: 'sid', description: 'Session cookie set by POST /auth/login' }, 'cookie')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The `token` from POST /auth/login' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  documentAccess(document);
  documentSharedErrors(document);
  documentErrorCodes(document);
  documentNumbersAndDates(document);
  plainEnumReferences(document);
  documentHeaders(document);
  return document;
}

/** The only fractional numbers in the API; every other number is a count, an id or a version. */
const FRACTIONAL = new Set(['CacheStatsView.hitRate', 'CacheStatsView.lastInvalidationDelayMs']);

type Schema = { type?: string; format?: string; properties?: Record<string, Schema> };

/**
 * Nest writes `type: number` for every TypeScript number and a plain string for dates: clients
 * would type ids, pages and quantities as floats and timestamps as text. Numbers become
 * `integer` (but the fractional ones above) and `*At` strings `format: date-time`.
 */
function documentNumbersAndDates(document: OpenAPIObject): void {
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {}) as Array<[string, Schema]>) {
    for (const [property, value] of Object.entries(schema.properties ?? {})) {
      if (value.type === 'number' && !FRACTIONAL.has(`${name}.${property}`)) value.type = 'integer';
      if (value.type === 'string' && property.endsWith('At')) value.format = 'date-time';
    }
  }
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{ parameters?: Array<{ schema?: Schema }> }>) {
      for (const parameter of operation?.parameters ?? []) if (parameter.schema?.type === 'number') parameter.schema.type = 'integer';
    }
  }
}

type ErrorAnswer = { description: string; content: { 'application/json': { schema: { allOf: [unknown, { properties: { code: { enum: string[] } } }] }; example?: unknown } } };
type Operation = {
  [ACCESS_EXTENSION]?: Access;
  security?: unknown[];
  description?: string;
  requestBody?: unknown;
  responses?: Record<string, unknown>;
};

/**
 * Adds `codes` to the error answer of `status` (made if the route declared none): its `code` enum
 * grows, its description names them, and its example shows the first.
 */
function addErrorCodes(operation: Operation, status: number, codes: string[], note = ''): void {
  const responses = (operation.responses ??= {});
  const existing = responses[status] as ErrorAnswer | undefined;
  const enumOf = (answer: ErrorAnswer) => answer.content['application/json'].schema.allOf[1].properties.code.enum;
  if (!existing) {
    const answer = { description: '', content: { 'application/json': { schema: errorSchema(codes), example: errorExample(status, codes[0]) } } } as unknown as ErrorAnswer;
    responses[status] = answer;
  } else {
    for (const code of codes) if (!enumOf(existing).includes(code)) enumOf(existing).push(code);
  }
  const answer = responses[status] as ErrorAnswer;
  answer.description = `${STATUS_CODES[status]}: ${enumOf(answer).join(', ')}${note ? ` (${note})` : ''}`;
}

/** Each operation's `x-access` (from `@Public`/`@Roles`) becomes its `security`, a line of its description and its 401/403. */
function documentAccess(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      if (!operation?.responses) continue;
      const access = operation[ACCESS_EXTENSION];
      if (!access) throw new Error('every route states its access with @Public(), @SignedIn() or @Roles()');
      if (access.public) {
        operation.security = [];
        continue;
      }
      operation.security = SECURITY;
      const who = access.roles.length === ROLES.length ? 'any signed-in user' : `role ${access.roles.join(' or ')}`;
      operation.description = [operation.description, `Requires ${who}.`].filter(Boolean).join('\n\n');
      addErrorCodes(operation, 401, ['NOT_SIGNED_IN'], 'no live session');
      if (access.roles.length < ROLES.length) addErrorCodes(operation, 403, ['FORBIDDEN'], `needs ${who}`);
      addErrorCodes(operation, 503, ['SESSION_STORE_UNAVAILABLE']);
    }
  }
}

/**
 * What every route shares, said once: the rate limit (all but the health probes), a database that
 * cannot be reached (all but the probes and /metrics), and for a JSON body a malformed, oversized
 * or non-JSON one.
 */
function documentSharedErrors(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    if (path.startsWith('/health')) continue;
    for (const operation of Object.values(item) as Operation[]) {
      if (!operation?.responses) continue;
      addErrorCodes(operation, 429, ['TOO_MANY_REQUESTS'], 'Retry-After, RateLimit and X-RateLimit-* say when');
      if (path !== '/metrics') addErrorCodes(operation, 503, ['DEPENDENCY_UNAVAILABLE']);
      if (operation.requestBody) {
        addErrorCodes(operation, 400, ['MALFORMED_JSON']);
        addErrorCodes(operation, 413, ['PAYLOAD_TOO_LARGE'], 'body over BODY_LIMIT_BYTES');
        addErrorCodes(operation, 415, ['UNSUPPORTED_MEDIA_TYPE'], 'bodies are application/json');
      }
    }
  }
}

/** Every code any operation answers with, as one named enum that the error body's `code` refers to. */
function documentErrorCodes(document: OpenAPIObject): void {
  const codes = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      for (const answer of Object.values(operation?.responses ?? {}) as Array<Partial<ErrorAnswer>>) {
        const schema = answer.content?.['application/json']?.schema;
        schema?.allOf?.[1]?.properties?.code?.enum?.forEach((code) => codes.add(code));
      }
    }
  }
  const schemas = (document.components ??= {}).schemas ?? {};
  schemas.ErrorCode = { type: 'string', enum: [...codes].sort(), description: 'Every error code this API answers with; each operation lists its own' };
  const errorBody = schemas.ErrorResponse as { properties: Record<string, unknown> };
  errorBody.properties.code = { $ref: '#/components/schemas/ErrorCode' };
}

/**
 * Nest wraps a property that names an enum in a one-item `allOf` (to hang a description beside
 * the reference); generators read a plain reference better, and the enum's name says enough.
 */
function plainEnumReferences(document: OpenAPIObject): void {
  for (const schema of Object.values(document.components?.schemas ?? {}) as Schema[]) {
    for (const [property, value] of Object.entries(schema.properties ?? {}) as Array<[string, Schema & { allOf?: unknown[] }]>) {
      if (value.allOf?.length === 1) schema.properties![property] = value.allOf[0] as Schema;
    }
  }
}

const integer = { type: 'integer' };
/** The response headers, once, in `components.headers`; responses refer to them. */
const HEADERS: Record<string, { description: string; schema: Record<string, unknown> }> = {
  'X-Request-Id': {
    description: "This request's id, in every server log line about it; a client's own X-Request-Id (1–128 of A-Z a-z 0-9 . _ : -) is kept",
    schema: { type: 'string', example: '0f6b1c9e-3a52-4d8e-9a0b-2f3c4d5e6f70' },
  },
  'Cache-Control': { description: 'private, no-store unless the operation says otherwise (public catalogue reads)', schema: { type: 'string', example: 'private, no-store' } },
  RateLimit: { description: 'draft-ietf-httpapi-ratelimit-headers: per throttler, remaining requests (r) and seconds to reset (t)', schema: { type: 'string', example: '"default";r=99;t=60' } },
  'RateLimit-Policy': { description: 'Per throttler: its limit (q) per window of w seconds', schema: { type: 'string', example: '"default";q=100;w=60' } },
  'X-RateLimit-Limit': { description: 'The limit of the default throttler (other throttlers add -<name>)', schema: integer },
  'X-RateLimit-Remaining': { description: 'Requests left in the window', schema: integer },
  'X-RateLimit-Reset': { description: 'Seconds until the window (or a block) ends', schema: integer },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: integer },
  Location: { description: 'The order just accepted: poll it (GET) for confirmed or failed', schema: { type: 'string', example: '/orders/1201' } },
  'Idempotent-Replayed': { description: '"true" when this is the stored answer to an earlier request with the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } },
  'Set-Cookie': { description: 'The session cookie `sid` (HttpOnly, SameSite=Lax, Secure unless NODE_ENV=development); cleared on sign-out', schema: { type: 'string' } },
};
const SESSION_SETTERS = new Set(['signIn', 'changePassword', 'signOut']);

/** Names, on every response, the headers it carries (what a front end reads: ids, limits, retries, sessions). */
function documentHeaders(document: OpenAPIObject): void {
  const components = (document.components ??= {});
  components.headers = { ...HEADERS };
  const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item) as Array<Operation & { operationId?: string; parameters?: Array<{ name?: string }> }>) {
      const idempotent = operation?.parameters?.some((parameter) => parameter.name === 'Idempotency-Key');
      for (const [status, response] of Object.entries(operation?.responses ?? {}) as Array<[string, { headers?: Record<string, unknown> }]>) {
        const code = Number(status);
        const headers = (response.headers ??= {});
        headers['X-Request-Id'] = ref('X-Request-Id');
        headers['Cache-Control'] ??= ref('Cache-Control');
        if (!path.startsWith('/health')) for (const name of ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) headers[name] = ref(name);
        if (code === 429 || code === 503 || code === 423) headers['Retry-After'] = ref('Retry-After');
        if (operation.operationId === 'placeOrder' && code === 202) headers.Location = ref('Location');
        if (idempotent && code < 300) headers['Idempotent-Replayed'] = ref('Idempotent-Replayed');
        if (SESSION_SETTERS.has(operation.operationId ?? '') && code < 300) headers['Set-Cookie'] = ref('Set-Cookie');
      }
    }
  }
}

/** Swagger UI; the document itself is at /docs-json (and /docs-yaml). */
export const SWAGGER_PATH = '/docs';

export function setupSwagger(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(SWAGGER_PATH.slice(1), app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}

/**
 * The document without connecting anything: Nest's preview mode registers routes but builds no
 * providers, so `npm run openapi` needs no MySQL or Redis.
 */
export async function generateOpenApiDocument(config: AppConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create(ApiModule.forRoot(config), new FastifyAdapter(), { preview: true, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

export function serializeOpenApi(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
