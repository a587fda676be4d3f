import { DynamicModule, Module } from '@nestjs/common';
import { loggerModule, type LoggerOptions } from './logger';
import { collectProcessMetrics } from './metrics';
import { MetricsController } from './metrics.controller';

@Module({})
export class ObservabilityModule {
  static forRoot(options: { service: string; instance: string; logLevel: string; logDestination?: LoggerOptions['destination'] }): DynamicModule {
    collectProcessMetrics(options.service);
    return {
      module: ObservabilityModule,
      imports: [
        loggerModule({ service: options.service, instance: options.instance, level: options.logLevel, destination: options.logDestination }),
      ],
      controllers: [MetricsController],
    };
  }
}
