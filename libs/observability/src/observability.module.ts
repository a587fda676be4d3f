import { DynamicModule, Module } from '@nestjs/common';
import { loggerModule } from './logger';
import { collectProcessMetrics } from './metrics';
import { MetricsController } from './metrics.controller';

@Module({})
export class ObservabilityModule {
  static forRoot(options: { service: string; instance: string; logLevel: string }): DynamicModule {
    collectProcessMetrics(options.service);
    return {
      module: ObservabilityModule,
      imports: [loggerModule({ service: options.service, instance: options.instance, level: options.logLevel })],
      controllers: [MetricsController],
    };
  }
}
