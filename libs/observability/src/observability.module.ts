import { DynamicModule, Global, Module } from '@nestjs/common';
import { LOGGER_OPTIONS, ServiceLogger, type LoggerOptions } from './logger';
import { collectProcessMetrics } from './metrics';
import { MetricsController } from './metrics.controller';

@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(options: { service: string; instance: string; logLevel: string; logDestination?: LoggerOptions['destination'] }): DynamicModule {
    collectProcessMetrics(options.service);
    const loggerOptions: LoggerOptions = { service: options.service, instance: options.instance, level: options.logLevel, destination: options.logDestination };
    return {
      module: ObservabilityModule,
      providers: [{ provide: LOGGER_OPTIONS, useValue: loggerOptions }, ServiceLogger],
      exports: [ServiceLogger],
      controllers: [MetricsController],
    };
  }
}
