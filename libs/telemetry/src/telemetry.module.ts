import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { shutdownTelemetry } from './start';

/** Flushes the spans still buffered when the service shuts down (after the HTTP server has drained). */
@Module({})
export class TelemetryModule implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return shutdownTelemetry();
  }
}
