import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ReadinessCheck } from './dependencies';

/** Longest event-loop stall in the last few seconds above which this replica stops taking traffic. */
export const EVENT_LOOP_STALL_MS = 2_000;
const WINDOW_MS = 1_000;
const WINDOWS = 3;

/** A replica whose event loop is blocked serves nobody well; the others should take its traffic. */
@Injectable()
export class EventLoopReadiness implements ReadinessCheck, OnModuleDestroy {
  readonly key = 'eventLoop';
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private readonly recentMaxMs: number[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.recentMaxMs.push(this.histogram.max / 1e6);
      if (this.recentMaxMs.length > WINDOWS) this.recentMaxMs.shift();
      this.histogram.reset();
    }, WINDOW_MS);
    this.timer.unref();
  }

  problem(): string | undefined {
    const worst = Math.max(0, ...this.recentMaxMs, this.histogram.max / 1e6);
    return worst > EVENT_LOOP_STALL_MS ? `event loop stalled for ${Math.round(worst)} ms` : undefined;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
