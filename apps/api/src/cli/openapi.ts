import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '@stockroom/core';
import { generateOpenApiDocument, serializeOpenApi } from '../openapi';

/** Writes openapi.json at the repository root; a test fails when it drifts from the app. */
async function main(): Promise<void> {
  const document = await generateOpenApiDocument(loadConfig({}));
  writeFileSync('openapi.json', serializeOpenApi(document));
  process.stdout.write(`openapi.json: ${Object.keys(document.paths).length} paths\n`);
}

void main();
