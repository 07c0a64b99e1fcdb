/**
 * The JSON Schema fleet manifests are validated against: the published one,
 * docs/fleet.schema.json, compiled once, so what is documented is what is
 * enforced. Also the limits it sets that messages and checks repeat.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { AGENT_LIMITS } from '../runtime/limits.js';

export const MANIFEST_API_VERSION = 'caxton.dev/v1';
export const MANIFEST_KIND = 'Fleet';

/** The JSON Schema the manifests are validated against (docs/fleet.schema.json; this file is dist/manifest/schema.js). */
export const FLEET_SCHEMA_FILE = fileURLToPath(new URL('../../docs/fleet.schema.json', import.meta.url));

/** As in the schema: names are at most 128 characters, memory 64 KiB-4 GiB. */
export const NAME_LIMIT = 128;
export const MIN_MEMORY = AGENT_LIMITS.memoryLimitBytes.min;
export const MAX_MEMORY = AGENT_LIMITS.memoryLimitBytes.max;

/** As in the schema: tool server names are at most 63 characters. */
export const TOOL_SERVER_NAME_LIMIT = 63;

interface Properties { properties: Record<string, unknown> }

interface SchemaShape {
  properties: Record<string, unknown> & { metadata: Properties };
  $defs: { agent: Properties; toolServer: Properties; stdioTransport: Properties; httpTransport: Properties };
}

/** The fields the schema knows in each kind of mapping, for suggestions and messages. */
export interface SchemaFields {
  topFields: string[];
  metadataFields: string[];
  agentFields: string[];
  toolServerFields: string[];
  stdioFields: string[];
  httpFields: string[];
}

let compiled: (SchemaFields & { validate: ValidateFunction }) | undefined;

/** The compiled validator and the fields the schema knows, for suggestions. */
export function schema(): NonNullable<typeof compiled> {
  if (compiled) return compiled;
  const json = JSON.parse(readFileSync(FLEET_SCHEMA_FILE, 'utf8')) as SchemaShape;
  // strictRequired off: "exactly one transport" is the idiomatic oneOf of
  // { required: [stdio] } and { required: [http] }, whose branches name
  // properties defined beside them, not in them.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  compiled = {
    validate: ajv.compile(json),
    topFields: Object.keys(json.properties),
    metadataFields: Object.keys(json.properties.metadata.properties),
    agentFields: Object.keys(json.$defs.agent.properties),
    toolServerFields: Object.keys(json.$defs.toolServer.properties),
    stdioFields: Object.keys(json.$defs.stdioTransport.properties),
    httpFields: Object.keys(json.$defs.httpTransport.properties),
  };
  return compiled;
}
