/**
 * A REST request's JSON body: read with a size limit, checked against its
 * route's JSON Schema (the `body` that /v1/openapi.json shows), then read
 * field by field by the handlers.
 */
import type { IncomingMessage } from 'node:http';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { InvalidAgentSpecError, InvalidArgumentError, RequestTooLargeError } from '../../runtime/errors.js';
import type { RouteDoc } from '../openapi.js';
// The manifest's did-you-mean (typos, casing, snake_case, synonyms): REST bodies and manifests suggest alike.
import { suggestField } from '../../manifest/suggestions.js';

/** The body, read up to `limit` bytes and parsed as a JSON object; see readBytes. */
export async function readBody(req: IncomingMessage, limit: number, operation: string): Promise<Record<string, unknown>> {
  const bytes = await readBytes(req, limit, operation);
  if (bytes.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new InvalidArgumentError('body', `is not valid JSON (${(e as Error).message})`, 'Send a JSON object with content-type application/json.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('body', 'must be a JSON object', 'Send a JSON object, e.g. {"content": "hi"}.');
  }
  return parsed as Record<string, unknown>;
}

/** The body's bytes, read up to `limit`: past it (a chunked body, a Content-Length that lied) reading stops with REQUEST_TOO_LARGE. */
export async function readBytes(req: IncomingMessage, limit: number, operation: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Listeners, not for-await: leaving a for-await destroys the request and
  // its socket, and the client would get a reset instead of the 413.
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size <= limit) {
        chunks.push(c);
        return;
      }
      req.off('data', onData);
      req.off('end', resolve);
      chunks.length = 0;
      reject(new RequestTooLargeError(`over ${limit} bytes (still coming)`, limit, operation));
    };
    req.on('data', onData);
    req.once('end', resolve);
    req.once('error', reject);
  });
  return Buffer.concat(chunks);
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
  // verbose: a range violation's message shows the whole range and the value given
  const ajv = new Ajv2020({ allErrors: false, strict: true, verbose: true });
  ajv.addFormat('byte', BASE64);
  return (route) => {
    if (!route.body) return undefined;
    const typed = Object.entries(route.body.properties).filter(([, schema]) => (schema as { type?: unknown }).type !== undefined);
    return { validate: ajv.compile({ type: 'object', additionalProperties: false, ...route.body }), nullable: typed.map(([k]) => k), known: Object.keys(route.body.properties) };
  };
}

/**
 * What a checked object is, for the messages: REST's bodies by default; the
 * MCP tools' arguments (api/mcp/) are checked with the same schemas and words.
 */
export interface Checked {
  /** e.g. `the MessageService.Send body`, `the arguments of send_message` */
  noun: string;
  /** where it is described, e.g. `/v1/openapi.json` */
  docs: string;
  /** what a missing field is added to: `the JSON body`, `the arguments` */
  container: string;
  /** the noun is plural (arguments): "are described", "take" */
  plural?: boolean;
}

/** Checks `body` in place; throws the first violation as INVALID_ARGUMENT. */
export function checkBody(body: Record<string, unknown>, check: BodyCheck, operationId: string, about: Checked = { noun: `the ${operationId} body`, docs: '/v1/openapi.json', container: 'the JSON body' }): void {
  // A null typed field means the same as an absent one (as gRPC's
  // defaults do); a null free-form value (content, config, task) is JSON null.
  for (const k of check.nullable) if (body[k] === null) delete body[k];
  if (!check.validate(body)) throw bodyError(check.validate.errors![0]!, operationId, check.known, about);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a JSON string', integer: 'a whole JSON number', number: 'a JSON number', boolean: 'true or false',
  array: 'a JSON array', object: 'a JSON object',
};

/** The first schema violation of a body as INVALID_ARGUMENT naming the field, with how to fix it. */
function bodyError(e: ErrorObject, operationId: string, known: readonly string[], about: Checked): InvalidArgumentError | InvalidAgentSpecError {
  const docs = `${about.noun} ${about.plural ? 'are' : 'is'} described in ${about.docs}`;
  if (e.keyword === 'additionalProperties') {
    const field = String((e.params as { additionalProperty: string }).additionalProperty);
    const guess = suggestField(field, known);
    const fields = `${about.noun} ${about.plural ? 'take' : 'takes'} ${known.map((k) => `"${k}"`).join(', ')} (${about.docs})`;
    return guess !== undefined
      ? new InvalidArgumentError(field, `unknown field "${field}" — did you mean "${guess}"?`, `Rename "${field}" to "${guess}"; ${fields}.`)
      : new InvalidArgumentError(field, `unknown field "${field}"`, `Remove "${field}" or correct its name; ${fields}.`);
  }
  if (e.keyword === 'required') {
    const field = String((e.params as { missingProperty: string }).missingProperty);
    return new InvalidArgumentError(field, 'is required', `Add "${field}" to ${about.container} (${docs}).`);
  }
  const field = e.instancePath.slice(1).replaceAll('/', '.') || 'body';
  if (e.keyword === 'format' && (e.params as { format: string }).format === 'byte') {
    return new InvalidArgumentError(field, 'is not base64', 'Send the .wasm bytes base64-encoded, e.g. `base64 -w0 dist/agents/echo.wasm`.');
  }
  if (e.keyword === 'minimum' || e.keyword === 'maximum') {
    const s = e.parentSchema as { minimum: number; maximum: number; description?: string };
    const problem = `must be an integer from ${s.minimum} to ${s.maximum}, got ${String(e.data)}`;
    // the same code the gRPC gateway and the runtime give for a deploy limit out of range
    if (operationId === 'AgentService.Deploy') return new InvalidAgentSpecError(field, problem);
    return new InvalidArgumentError(field, problem, `Give "${field}" as ${s.description ?? `an integer from ${s.minimum} to ${s.maximum}`} (docs/api.md, Limits).`);
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
