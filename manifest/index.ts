/**
 * Fleet manifests: the YAML files `caxton deploy -f fleet.yaml` applies.
 *
 * loadManifest() reads the YAML, validates it against docs/fleet.schema.json
 * (the published schema is the one enforced), makes the checks a JSON Schema
 * cannot express (sizes and durations written as strings, instance names,
 * duplicate names, allow-lists naming undeclared tool servers, no
 * Authorization header), resolves module paths (and tool servers' cwd) from the manifest's directory and
 * reads the module files. Every problem is reported at its line:column in
 * the file, in a sentence for people; all problems found are reported at
 * once, in a ManifestError (INVALID_MANIFEST). A module file that does not
 * exist is a ModuleFileNotFoundError (MODULE_FILE_NOT_FOUND) at the line of
 * its `module:` key. docs/manifest.md documents the format.
 *
 * The parts, one concept each, are in this folder: load.ts (reading and
 * checking), tools.ts (the tools: section and allow-lists), schema.ts,
 * problems.ts and tool-problems.ts (messages), words.ts, positions.ts
 * (line:column), suggestions.ts (did you mean) and units.ts (sizes and
 * durations). This file is what the tests and docs/manifest.md import.
 *
 * The folder is shared by `caxton deploy -f` (cli/) and the MCP deploy tool
 * (api/mcp/): it imports from neither (decision 0019).
 */
export { loadManifest, moduleFiles, parseManifest, type Fleet, type ManifestAgent, type ModuleResolver } from './load.js';
export { type ManifestToolServer } from './tools.js';
export { FLEET_SCHEMA_FILE, MANIFEST_API_VERSION, MANIFEST_KIND } from './schema.js';
export { type ManifestProblem } from './problems.js';
export { suggestField } from './suggestions.js';
export { parseDuration, parseSize } from './units.js';
