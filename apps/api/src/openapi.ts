import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AppConfig } from '@stockroom/core';
import { ApiModule } from './api.module';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

const DESCRIPTION = [
  'Inventory and product-catalogue API.',
  '',
  'Every error is `{statusCode, error, code, message, details?}`; `code` is stable and machine-readable.',
  'Prices are exact decimal strings such as `"19.99"`. Every response carries `X-Request-Id`.',
].join('\n');

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
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Public until the sessions issue adds schemes; stated explicitly so every route declares it.
  document.security = [];
  documentThrottling(document);
  return document;
}

/** Every route but the health probes is throttled: say so once, for all of them. */
function documentThrottling(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    if (path.startsWith('/health')) continue;
    for (const operation of Object.values(item) as Array<{ responses?: Record<string, unknown> }>) {
      if (!operation?.responses) continue;
      operation.responses['429'] = {
        description: 'Too Many Requests: TOO_MANY_REQUESTS (Retry-After, RateLimit and X-RateLimit-* headers say when)',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
      };
    }
  }
}

export function setupSwagger(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
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
