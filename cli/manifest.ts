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
 * The parts, one concept each, are in cli/manifest/: load.ts (reading and
 * checking), tools.ts (the tools: section and allow-lists), schema.ts,
 * problems.ts and tool-problems.ts (messages), words.ts, positions.ts
 * (line:column), suggestions.ts (did you mean) and units.ts (sizes and
 * durations). This file is what the rest of the CLI, the tests and
 * docs/manifest.md import.
 */
export { loadManifest, moduleFiles, parseManifest, type Fleet, type ManifestAgent, type ModuleResolver } from './manifest/load.js';
export { type ManifestToolServer } from './manifest/tools.js';
export { FLEET_SCHEMA_FILE, MANIFEST_API_VERSION, MANIFEST_KIND } from './manifest/schema.js';
export { type ManifestProblem } from './manifest/problems.js';
export { suggestField } from './manifest/suggestions.js';
export { parseDuration, parseSize } from './manifest/units.js';
