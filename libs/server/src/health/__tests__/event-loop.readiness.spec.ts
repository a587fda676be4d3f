import { EVENT_LOOP_STALL_MS } from '../event-loop.readiness';
import { EventLoopReadiness } from '../event-loop.readiness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventLoopReadiness', () => {
  it(`is fine while the loop turns, reports a stall over ${EVENT_LOOP_STALL_MS} ms, and clears once recent windows are healthy`, async () => {
    const readiness = new EventLoopReadiness();
    try {
      await sleep(100);
      expect(readiness.problem()).toBeUndefined();
      const until = Date.now() + EVENT_LOOP_STALL_MS + 300;
      while (Date.now() < until) {
        // a synchronous hot loop: exactly what a stuck replica looks like
      }
      await sleep(50);
      expect(readiness.problem()).toMatch(/^event loop stalled for \d+ ms$/);
      await sleep(4_200);
      expect(readiness.problem()).toBeUndefined();
    } finally {
      readiness.onModuleDestroy();
    }
  }, 15_000);
});
