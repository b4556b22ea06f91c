import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ACCESS_EXTENSION, ROLES } from '@stockroom/core';
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
  documentThrottling(document);
  documentNumbersAndDates(document);
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

type Operation = { [ACCESS_EXTENSION]?: Access; security?: unknown[]; description?: string; responses?: Record<string, unknown> };

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } };
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
      operation.responses['401'] = errorResponse('Unauthorized: NOT_SIGNED_IN (no live session)');
      if (access.roles.length < ROLES.length) operation.responses['403'] = errorResponse(`Forbidden: FORBIDDEN (needs ${who})`);
      operation.responses['503'] ??= errorResponse('Service Unavailable: SESSION_STORE_UNAVAILABLE');
    }
  }
}

/** Every route but the health probes is throttled: say so once, for all of them. */
function documentThrottling(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    if (path.startsWith('/health')) continue;
    for (const operation of Object.values(item) as Array<{ responses?: Record<string, unknown> }>) {
      if (!operation?.responses) continue;
      operation.responses['429'] = errorResponse('Too Many Requests: TOO_MANY_REQUESTS (Retry-After, RateLimit and X-RateLimit-* headers say when)');
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
