import { ConfigError } from '@saas/config';
import { telemetrySettings, type TelemetrySettings } from './config';
import { markTracingActive } from './spans';

let sdk: { shutdown(): Promise<void> } | undefined;

/**
 * Starts tracing for a service when the OTEL_* variables ask for it; call it before anything else is
 * imported (each app's tracing.ts, the first import of its main.ts): the instrumentations patch pg,
 * ioredis, kafkajs and http as those modules are loaded. A bad OTEL_* value stops the process with one
 * line naming it, like every other setting. Returns what was decided (tests and the banner read it).
 */
export function startTelemetry(service: string, env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  let settings: TelemetrySettings;
  try {
    settings = telemetrySettings(service, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (!settings.enabled || sdk) return settings;
  // Loaded lazily: with tracing off the SDK (about half a second of module loading) is never read.
  const { startSdk } = require('./sdk') as typeof import('./sdk');
  sdk = startSdk(settings);
  markTracingActive(true);
  return settings;
}

/** Exports the spans still buffered and stops the SDK (on shutdown; a no-op when tracing is off). */
export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  if (!running) return;
  markTracingActive(false);
  await running.shutdown().catch(() => undefined);
}
