/**
 * The OpenTelemetry resource every signal of a thread carries: service name
 * ("caxton" unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say
 * otherwise), version, the rest of OTEL_RESOURCE_ATTRIBUTES, and which thread
 * (caxton.thread). Loaded only with the SDK.
 */
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { CAXTON_VERSION } from '../version.js';

export function caxtonResource(thread: string): Resource {
  // Defaults first, then what the environment says (the env detector reads
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, the latter winning, as
  // the specification asks), then which thread: merge lets the later win.
  return resourceFromAttributes({ 'service.name': 'caxton', 'service.version': CAXTON_VERSION })
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'caxton.thread': thread }));
}
