import { LB } from './local-platform';

/** One request as a client saw it through the balancer. */
export interface Sample {
  kind: string;
  start: number;
  end: number;
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  note?: string;
}

export interface WriteStep {
  kind: string;
  /** Sends one write; may return a note (e.g. the id it created) kept with the sample. */
  send(): Promise<{ response: Response; note?: string }>;
}

export interface TrafficSummary {
  requests: number;
  non2xx: number;
  statuses: Record<string, number>;
  p99Ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function summarize(samples: Sample[]): TrafficSummary {
  const statuses: Record<string, number> = {};
  for (const sample of samples) statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
  const latencies = samples.map((sample) => sample.end - sample.start).sort((a, b) => a - b);
  const p99Ms = latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] : 0;
  return { requests: samples.length, non2xx: samples.filter((s) => s.status < 200 || s.status > 299).length, statuses, p99Ms };
}

/**
 * Bounded, steady traffic through the balancer: `readers` concurrent loops over read paths and one
 * loop of writes every `writeEveryMs`, each request recorded with its start and end time so a drill
 * can cut out the window of an outage. Status 0 = no HTTP answer at all (connection error, timeout).
 */
export class SteadyTraffic {
  readonly reads: Sample[] = [];
  readonly writes: Sample[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly deadline: number;

  constructor(
    private readonly readPath: () => string,
    private readonly writeSteps: WriteStep[],
    private readonly options: { readers: number; writeEveryMs: number; maxSeconds: number },
  ) {
    this.deadline = Date.now() + options.maxSeconds * 1000;
  }

  start(): void {
    this.running = true;
    this.loops = [
      ...Array.from({ length: this.options.readers }, () => this.readLoop()),
      this.writeLoop(),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Requests that started in [from, to). */
  between(from: number, to: number): { reads: Sample[]; writes: Sample[] } {
    const inside = (sample: Sample) => sample.start >= from && sample.start < to;
    return { reads: this.reads.filter(inside), writes: this.writes.filter(inside) };
  }

  private get active(): boolean {
    return this.running && Date.now() < this.deadline;
  }

  private async readLoop(): Promise<void> {
    while (this.active) {
      const path = this.readPath();
      this.reads.push(await record(path.split('?')[0].replace(/[0-9a-f-]{36}/, ':id'), () => fetch(`${LB}${path}`, { signal: AbortSignal.timeout(10_000) })));
    }
  }

  private async writeLoop(): Promise<void> {
    for (let turn = 0; this.active; turn++) {
      const step = this.writeSteps[turn % this.writeSteps.length];
      let note: string | undefined;
      const sample = await record(step.kind, async () => {
        const sent = await step.send();
        note = sent.note;
        return sent.response;
      });
      this.writes.push({ ...sample, note });
      await sleep(this.options.writeEveryMs);
    }
  }
}

async function record(kind: string, send: () => Promise<Response>): Promise<Sample> {
  const start = Date.now();
  try {
    const response = await send();
    if (!response.bodyUsed) await response.arrayBuffer();
    return {
      kind,
      start,
      end: Date.now(),
      status: response.status,
      contentType: response.headers.get('content-type'),
      retryAfter: response.headers.get('retry-after'),
    };
  } catch {
    return { kind, start, end: Date.now(), status: 0, contentType: null, retryAfter: null };
  }
}
