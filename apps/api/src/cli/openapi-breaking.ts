/**
 * `npm run openapi:breaking`: compares the committed `openapi.json` with the previous commit's
 * (or OPENAPI_BASE's) and fails on a change that breaks a generated client: a removed operation,
 * a removed field of a successful answer, a removed enum value, or an input that became required.
 * A new major `info.version` allows them. Part of `npm test`, so of CI.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

function major(document: Json): number {
  return Number(String(document.info?.version ?? '0').split('.')[0]);
}

/** Follows `$ref`s (and merges `allOf`) to one schema. */
function resolveSchema(document: Json, schema: Json | undefined, seen = new Set<string>()): Json | undefined {
  if (!schema) return undefined;
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return {};
    const name = String(schema.$ref).split('/').pop()!;
    return resolveSchema(document, document.components?.schemas?.[name], new Set([...seen, schema.$ref]));
  }
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map((part: Json) => resolveSchema(document, part, seen) ?? {});
    return {
      ...schema,
      allOf: undefined,
      type: parts.find((part: Json) => part.type)?.type ?? schema.type,
      properties: Object.assign({}, ...parts.map((part: Json) => part.properties ?? {}), schema.properties ?? {}),
      required: [...new Set(parts.flatMap((part: Json) => part.required ?? []))],
      enum: parts.find((part: Json) => part.enum)?.enum ?? schema.enum,
    };
  }
  return schema;
}

/** Fields of `before` an answer no longer has, and enum values it no longer lists (nested). */
function compareOutput(beforeDoc: Json, afterDoc: Json, before: Json | undefined, after: Json | undefined, where: string, problems: string[], depth = 0): void {
  const b = resolveSchema(beforeDoc, before);
  const a = resolveSchema(afterDoc, after);
  if (!b || !a || depth > 8) return;
  for (const value of b.enum ?? []) if (a.enum && !a.enum.includes(value)) problems.push(`${where}: enum value ${JSON.stringify(value)} removed`);
  for (const [name, property] of Object.entries<Json>(b.properties ?? {})) {
    if (!a.properties || !(name in a.properties)) problems.push(`${where}: field "${name}" removed`);
    else compareOutput(beforeDoc, afterDoc, property, a.properties[name], `${where}.${name}`, problems, depth + 1);
  }
  if (b.items) compareOutput(beforeDoc, afterDoc, b.items, a.items, `${where}[]`, problems, depth + 1);
}

/** Inputs `after` requires that `before` did not, and accepted enum values it dropped. */
function compareInput(beforeDoc: Json, afterDoc: Json, before: Json | undefined, after: Json | undefined, where: string, problems: string[], depth = 0): void {
  const b = resolveSchema(beforeDoc, before) ?? {};
  const a = resolveSchema(afterDoc, after);
  if (!a || depth > 8) return;
  for (const value of b.enum ?? []) if (a.enum && !a.enum.includes(value)) problems.push(`${where}: accepted value ${JSON.stringify(value)} removed`);
  const wasRequired = new Set<string>(b.required ?? []);
  for (const name of a.required ?? []) if (!wasRequired.has(name)) problems.push(`${where}: "${name}" became required`);
  for (const [name, property] of Object.entries<Json>(a.properties ?? {})) compareInput(beforeDoc, afterDoc, b.properties?.[name], property, `${where}.${name}`, problems, depth + 1);
}

export function breakingChanges(before: Json, after: Json): string[] {
  if (major(after) > major(before)) return [];
  const problems: string[] = [];
  for (const [path, item] of Object.entries<Json>(before.paths ?? {})) {
    for (const method of METHODS) {
      const was = item[method];
      if (!was) continue;
      const now = after.paths?.[path]?.[method];
      const operation = `${method.toUpperCase()} ${path}`;
      if (!now) {
        problems.push(`${operation}: removed`);
        continue;
      }
      for (const [status, response] of Object.entries<Json>(was.responses ?? {})) {
        if (!status.startsWith('2')) continue;
        const answer = now.responses?.[status];
        if (!answer) {
          problems.push(`${operation}: answer ${status} removed`);
          continue;
        }
        compareOutput(before, after, response.content?.['application/json']?.schema, answer.content?.['application/json']?.schema, `${operation} ${status}`, problems);
      }
      const parametersBefore = new Map<string, Json>((was.parameters ?? []).map((p: Json) => [`${p.in}:${p.name}`, p]));
      for (const parameter of now.parameters ?? []) {
        const previous = parametersBefore.get(`${parameter.in}:${parameter.name}`);
        if (parameter.required && !previous?.required) problems.push(`${operation}: parameter ${parameter.name} became required`);
        compareInput(before, after, previous?.schema, parameter.schema, `${operation} parameter ${parameter.name}`, problems);
      }
      if (now.requestBody?.required && !was.requestBody?.required) problems.push(`${operation}: a body became required`);
      compareInput(before, after, was.requestBody?.content?.['application/json']?.schema, now.requestBody?.content?.['application/json']?.schema, `${operation} body`, problems);
    }
  }
  return problems;
}

function main(): void {
  const root = resolve(__dirname, '../../../..');
  const base = process.env.OPENAPI_BASE ?? 'HEAD~1';
  let previous: string;
  try {
    previous = execFileSync('git', ['show', `${base}:openapi.json`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    console.log(`openapi:breaking: no openapi.json at ${base}; nothing to compare`);
    return;
  }
  const before = JSON.parse(previous) as Json;
  const after = JSON.parse(readFileSync(resolve(root, 'openapi.json'), 'utf8')) as Json;
  const problems = breakingChanges(before, after);
  if (problems.length === 0) {
    console.log(`openapi:breaking: no breaking change against ${base} (version ${before.info?.version} -> ${after.info?.version})`);
    return;
  }
  console.error(`openapi:breaking: ${problems.length} breaking change(s) against ${base}; raise info.version's major to make them:`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exitCode = 1;
}

if (require.main === module) main();
