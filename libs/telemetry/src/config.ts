import { hostname } from 'node:os';
import { loadConfig, type EnvShape } from '@saas/config';
import { z } from 'zod';

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

const otlpUrl = z
  .string()
  .url('must be a URL like http://127.0.0.1:4318')
  .refine((value) => /^https?:\/\//.test(value), 'must use the http:// or https:// scheme (OTLP over HTTP)');

/**
 * The standard OpenTelemetry variables this platform reads (names and meaning from the OpenTelemetry
 * specification), validated like every other setting: a bad value stops the process with one line.
 * Tracing is off unless an OTLP endpoint is set, and off whenever OTEL_SDK_DISABLED=true.
 */
export const telemetryEnv = {
  OTEL_SDK_DISABLED: z
    .enum(['true', 'false'], { errorMap: () => ({ message: 'must be true or false' }) })
    .default('false')
    .transform((value) => value === 'true'),
  /** Base URL of an OTLP/HTTP receiver (a collector or Jaeger): traces go to <endpoint>/v1/traces. */
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  /** Full URL for traces only; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  /** Only OTLP over HTTP with protobuf bodies is built in; saying otherwise is a mistake worth stopping for. */
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['http/protobuf'], {
      errorMap: () => ({ message: 'must be http/protobuf (the one OTLP protocol built in)' }),
    })
    .optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z
    .enum(['http/protobuf'], {
      errorMap: () => ({ message: 'must be http/protobuf (the one OTLP protocol built in)' }),
    })
    .optional(),
  /** `none` turns tracing off; `otlp` is the only exporter. */
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'], { errorMap: () => ({ message: 'must be otlp or none' }) })
    .default('otlp'),
  OTEL_TRACES_SAMPLER: z
    .enum(SAMPLERS, { errorMap: () => ({ message: `must be one of ${SAMPLERS.join(', ')}` }) })
    .default('parentbased_always_on'),
  /** The ratio for the *traceidratio samplers: a number from 0 to 1 (default 1). */
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ invalid_type_error: 'must be a number from 0 to 1, e.g. 0.25' })
    .min(0, 'must be a number from 0 to 1, e.g. 0.25')
    .max(1, 'must be a number from 0 to 1, e.g. 0.25')
    .optional(),
  /** Overrides the service name spans are reported under (default: the app's name). */
  OTEL_SERVICE_NAME: z.string().min(1).max(128).optional(),
} satisfies EnvShape;

export type TelemetryEnv = ReturnType<typeof loadConfig<typeof telemetryEnv>>;

export type Sampler = (typeof SAMPLERS)[number];

/** What startTelemetry decided: tracing on (and where spans go) or off (and why). */
export type TelemetrySettings =
  | { enabled: false; reason: string }
  | {
      enabled: true;
      serviceName: string;
      instance: string;
      tracesUrl: string;
      sampler: Sampler;
      ratio: number;
    };

/**
 * Validates the OTEL_* variables (throws ConfigError naming every bad one) and decides whether to trace.
 * `instance` mirrors libs/server's instanceName so a span says which replica served it.
 */
export function telemetrySettings(service: string, env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const config = loadConfig(telemetryEnv, env);
  if (config.OTEL_SDK_DISABLED) return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  if (config.OTEL_TRACES_EXPORTER === 'none') return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!tracesUrl) return { enabled: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT' };
  return {
    enabled: true,
    serviceName: config.OTEL_SERVICE_NAME ?? service,
    instance: env.INSTANCE_ID || `${service}@${hostname()}:${env.PORT ?? ''}`,
    tracesUrl,
    sampler: config.OTEL_TRACES_SAMPLER,
    ratio: config.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
