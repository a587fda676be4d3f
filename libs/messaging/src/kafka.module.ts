import { DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { ReadinessCheck } from '@saas/server';
import { KafkaConnection, type KafkaOptions } from './kafka.connection';

/** Probes answer within this bound even when brokers are unreachable and kafkajs is retrying. */
const READINESS_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class KafkaReadiness implements ReadinessCheck {
  readonly key = 'kafka';

  constructor(
    private readonly kafka: KafkaConnection,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Ready when the producer is connected and a broker answers a metadata request. */
  async check() {
    const indicator = this.indicators.check(this.key);
    if (!this.kafka.connected) return indicator.down({ reason: 'producer not connected' });
    try {
      const cluster = await withTimeout(
        this.kafka.admin().then((admin) => admin.describeCluster()),
        READINESS_TIMEOUT_MS,
        'metadata request',
      );
      return indicator.up({ brokers: cluster.brokers.length });
    } catch (error) {
      return indicator.down({ reason: (error as Error).message });
    }
  }
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaOptions): DynamicModule {
    return {
      module: KafkaModule,
      imports: [TerminusModule],
      providers: [{ provide: KafkaConnection, useFactory: () => new KafkaConnection(options) }, KafkaReadiness],
      exports: [KafkaConnection, KafkaReadiness],
    };
  }
}
