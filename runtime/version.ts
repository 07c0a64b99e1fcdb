/** Caxton's version, from package.json (two levels up from both runtime/ and dist/runtime/). */
import { createRequire } from 'node:module';

export const CAXTON_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
