import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';
import { ShutdownState } from './shutdown.state';

@Global()
@Module({})
export class HealthModule {
  /** `readiness` lists providers (exported by global infrastructure modules) that implement ReadinessCheck. */
  static forRoot(readiness: Type<ReadinessCheck>[]): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json', gracefulShutdownTimeoutMs: 0 })],
      controllers: [HealthController],
      providers: [
        ShutdownState,
        { provide: READINESS_CHECKS, useFactory: (...checks: ReadinessCheck[]) => checks, inject: readiness },
      ],
      exports: [ShutdownState],
    };
  }
}
