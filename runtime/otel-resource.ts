/**
 * The OpenTelemetry resource every signal of a thread carries: service name
 * (OTEL_SERVICE_NAME, default "caxton"), version, OTEL_RESOURCE_ATTRIBUTES,
 * and which thread (caxton.thread). Loaded only with the SDK.
 */
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { CAXTON_VERSION } from './version.js';

export function caxtonResource(thread: string, env: NodeJS.ProcessEnv = process.env): Resource {
  return detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({
    'service.name': env.OTEL_SERVICE_NAME ?? 'caxton',
    'service.version': CAXTON_VERSION,
    'caxton.thread': thread,
  }));
}
