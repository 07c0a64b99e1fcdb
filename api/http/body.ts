/**
 * A REST request's JSON body: read with a size limit, checked against its
 * route's JSON Schema (the `body` that /v1/openapi.json shows), then read
 * field by field by the handlers.
 */
import type { IncomingMessage } from 'node:http';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { InvalidArgumentError } from '../../runtime/errors.js';
import type { RouteDoc } from '../openapi.js';
// The manifest's did-you-mean (typos, casing, snake_case, synonyms): REST bodies and manifests suggest alike.
import { suggestField } from '../../cli/manifest/suggestions.js';

const MAX_BODY = 64 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new InvalidArgumentError('body', `is larger than ${MAX_BODY} bytes`, 'Send a smaller request (modules and content have size limits).');
    chunks.push(c);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new InvalidArgumentError('body', `is not valid JSON (${(e as Error).message})`, 'Send a JSON object with content-type application/json.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('body', 'must be a JSON object', 'Send a JSON object, e.g. {"content": "hi"}.');
  }
  return parsed as Record<string, unknown>;
}

/** A route's body schema, compiled once. */
export interface BodyCheck {
  validate: ValidateFunction;
  /** the body fields with a declared type, where null is taken as absent */
  nullable: string[];
  /** every field the body may have: any other is refused (a typo must not pass as an absent field) */
  known: string[];
}

/** base64 (standard or URL-safe alphabet), the OpenAPI "byte" format of a module. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The body check of each route, compiled when the gateway starts (one JSON Schema 2020-12 validator, Ajv, for all). */
export function bodyChecks(): (route: RouteDoc) => BodyCheck | undefined {
  const ajv = new Ajv2020({ allErrors: false, strict: true });
  ajv.addFormat('byte', BASE64);
  return (route) => {
    if (!route.body) return undefined;
    const typed = Object.entries(route.body.properties).filter(([, schema]) => (schema as { type?: unknown }).type !== undefined);
    return { validate: ajv.compile({ type: 'object', additionalProperties: false, ...route.body }), nullable: typed.map(([k]) => k), known: Object.keys(route.body.properties) };
  };
}

/** Checks `body` in place; throws the first violation as INVALID_ARGUMENT. */
export function checkBody(body: Record<string, unknown>, check: BodyCheck, operationId: string): void {
  // A null typed field means the same as an absent one (as gRPC's
  // defaults do); a null free-form value (content, config, task) is JSON null.
  for (const k of check.nullable) if (body[k] === null) delete body[k];
  if (!check.validate(body)) throw bodyError(check.validate.errors![0]!, operationId, check.known);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a JSON string', integer: 'a whole JSON number', number: 'a JSON number', boolean: 'true or false',
  array: 'a JSON array', object: 'a JSON object',
};

/** The first schema violation of a body as INVALID_ARGUMENT naming the field, with how to fix it. */
function bodyError(e: ErrorObject, operationId: string, known: readonly string[]): InvalidArgumentError {
  const docs = `the ${operationId} body is described in /v1/openapi.json`;
  if (e.keyword === 'additionalProperties') {
    const field = String((e.params as { additionalProperty: string }).additionalProperty);
    const guess = suggestField(field, known);
    const fields = `the ${operationId} body takes ${known.map((k) => `"${k}"`).join(', ')} (/v1/openapi.json)`;
    return guess !== undefined
      ? new InvalidArgumentError(field, `unknown field "${field}" — did you mean "${guess}"?`, `Rename "${field}" to "${guess}"; ${fields}.`)
      : new InvalidArgumentError(field, `unknown field "${field}"`, `Remove "${field}" or correct its name; ${fields}.`);
  }
  if (e.keyword === 'required') {
    const field = String((e.params as { missingProperty: string }).missingProperty);
    return new InvalidArgumentError(field, 'is required', `Add "${field}" to the JSON body (${docs}).`);
  }
  const field = e.instancePath.slice(1).replaceAll('/', '.') || 'body';
  if (e.keyword === 'format' && (e.params as { format: string }).format === 'byte') {
    return new InvalidArgumentError(field, 'is not base64', 'Send the .wasm bytes base64-encoded, e.g. `base64 -w0 dist/agents/echo.wasm`.');
  }
  if (e.keyword === 'type') {
    const type = String((e.params as { type: string }).type);
    return new InvalidArgumentError(field, e.message ?? `must be ${type}`, `Send "${field}" as ${TYPE_WORDS[type] ?? type} (${docs}).`);
  }
  return new InvalidArgumentError(field, e.message ?? 'is not valid', `Fix "${field}" (${docs}).`);
}

// Field readers for the handlers. Bodies are checked against their route's
// schema before a handler runs (checkBody), so these only read fields of the
// declared types.
export function str(body: Record<string, unknown>, field: string): string | undefined {
  return body[field] as string | undefined;
}

export function num(body: Record<string, unknown>, field: string): number | undefined {
  return body[field] as number | undefined;
}

export function strings(body: Record<string, unknown>, field: string): string[] | undefined {
  return body[field] as string[] | undefined;
}
