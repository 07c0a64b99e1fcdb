/**
 * Imports a toolchain adds for a call the SDKs offer another way: the hint
 * names the SDK function to use instead.
 */
export const IMPORT_HINTS: Readonly<Record<string, string>> = {
  'env.Date.now': 'AssemblyScript\'s Date.now() imports env.Date.now: call now() from the SDK instead (ms since the epoch, f64).',
  'env.performance.now': 'performance.now() is not offered: call now() from the SDK (ms since the epoch, with a sub-millisecond fraction).',
  'env.console.log': 'console.log() is not offered: log with logInfo() (or logDebug, logWarn, logError, logLine) from the SDK.',
  'env.console.info': 'console.info() is not offered: log with logInfo() from the SDK.',
  'env.console.warn': 'console.warn() is not offered: log with logWarn() from the SDK.',
  'env.console.error': 'console.error() is not offered: log with logError() from the SDK.',
  'env.trace': 'AssemblyScript\'s trace() is not offered: log with logDebug() from the SDK.',
  'env.Math.random': 'Math.random() through the host is not offered: AssemblyScript\'s own Math.random (seeded by env.seed) is; do not build with --use Math=JSMath.',
};
