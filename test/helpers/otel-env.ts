// The OTEL_* variables of a test: none but those it gives, so that whatever
// OpenTelemetry settings the machine running the tests has cannot change
// what a test sees.

const isOtel = (k: string): boolean => k.startsWith('OTEL_');

/** A copy of `base` without any OTEL_* variable, with `otel` added. */
export function otelEnv(otel: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of Object.keys(env)) if (isOtel(k)) delete env[k];
  return Object.assign(env, otel);
}

/**
 * Makes `otel` the only OTEL_* variables of process.env (what the runtime's
 * threads read when they start); returns the function that puts the
 * previous ones back.
 */
export function setOtelEnv(otel: Record<string, string>): () => void {
  const saved = Object.entries(process.env).filter(([k]) => isOtel(k));
  const clear = (): void => {
    for (const k of Object.keys(process.env)) if (isOtel(k)) delete process.env[k];
  };
  clear();
  Object.assign(process.env, otel);
  return () => {
    clear();
    for (const [k, v] of saved) process.env[k] = v;
  };
}
