import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { DEPENDENCY_PROBES, READINESS_CHECKS, type DependencyProbe, type ReadinessCheck } from './dependencies';
import { DEPENDENCY_MONITOR_OPTIONS, DependencyMonitor, type DependencyMonitorOptions } from './dependency-monitor';
import { EventLoopReadiness } from './event-loop.readiness';
import { HealthController } from './health.controller';
import { Readiness } from './readiness.service';
import { ShutdownState } from './shutdown.state';

export interface HealthOptions {
  /** Shared dependencies to watch (providers exported by global infrastructure modules). */
  dependencies: Type<DependencyProbe>[];
  /** Checks of this replica alone, besides the event loop (e.g. a wedged connection pool). */
  readiness?: Type<ReadinessCheck>[];
  monitor?: Partial<DependencyMonitorOptions>;
}

@Global()
@Module({})
export class HealthModule {
  static forRoot(options: HealthOptions): DynamicModule {
    const readiness = options.readiness ?? [];
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        ShutdownState,
        EventLoopReadiness,
        DependencyMonitor,
        Readiness,
        { provide: DEPENDENCY_MONITOR_OPTIONS, useValue: { intervalMs: 1_000, timeoutMs: 2_000, ...options.monitor } },
        { provide: DEPENDENCY_PROBES, useFactory: (...probes: DependencyProbe[]) => probes, inject: options.dependencies },
        {
          provide: READINESS_CHECKS,
          useFactory: (...checks: ReadinessCheck[]) => checks,
          inject: [EventLoopReadiness, ...readiness],
        },
      ],
      exports: [ShutdownState, DependencyMonitor],
    };
  }
}
