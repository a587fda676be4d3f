import CircuitBreaker from 'opossum';
import { counter, gauge, histogram } from '@saas/observability';
import { RequestContext } from '@saas/server';
import { addSpanEvent, inSpan, recordFailure, tracingActive, type Span } from '@saas/telemetry';

/**
 * Why a call did not get an answer from its target. Every one of them is answered by the call's
 * fallback when it declares one; without a fallback the call rejects with an UpstreamFailure.
 *  - timeout: the target did not answer within the per-attempt timeout (or the call's budget ran out)
 *  - unavailable: connection refused/reset, DNS failure... the target is down or unreachable
 *  - server-error: the target answered 5xx or 429 (overloaded)
 *  - circuit-open: the breaker is open; no request was sent
 *  - bulkhead-full: too many calls to this target are already in flight; no request was sent
 */
export type FailureReason = 'timeout' | 'unavailable' | 'server-error' | 'circuit-open' | 'bulkhead-full';

export class UpstreamFailure extends Error {
  constructor(
    readonly target: string,
    readonly reason: FailureReason,
    message: string,
    readonly status?: number,
    readonly attempts = 0,
  ) {
    super(`${target}: ${reason}: ${message}`);
    this.name = 'UpstreamFailure';
  }
}

export type BreakerState = 'closed' | 'half-open' | 'open';
const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface HttpClientOptions {
  /** Name of the target service: the breaker's identity and the `target` metric label (e.g. `media`). */
  target: string;
  /** e.g. http://media:3003 — paths are resolved against it. */
  baseUrl: string;
  /** Timeout of one attempt (connect + headers + body). Default 1000 ms. */
  timeoutMs?: number;
  /** Time budget of a whole call, retries and backoff included. Default: 2.5 × timeoutMs. */
  budgetMs?: number;
  /** Extra attempts for idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE). Default 2. Never for POST/PATCH. */
  retries?: number;
  /** Backoff before retry n is uniform in [0, min(retryMaxMs, retryBaseMs·2^(n-1))] ("full jitter"). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Bulkhead: calls in flight to this target at once; more are refused at once (bulkhead-full). Default 16. */
  maxConcurrent?: number;
  breaker?: {
    /** Attempts in the rolling window before the breaker may open (opossum volumeThreshold). Default 5. */
    volumeThreshold?: number;
    /** Failure percentage in the window that opens it. Default 50. */
    errorThresholdPercentage?: number;
    /** How long it stays open before letting one probe through (half-open). Default 5000 ms. */
    resetTimeoutMs?: number;
    /** Rolling statistics window. Default 10000 ms. */
    rollingWindowMs?: number;
  };
  /** Headers sent with every request (e.g. user-agent). */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Overrides the client's per-attempt timeout for this call. */
  timeoutMs?: number;
  /** Marks a non-idempotent method as safe to retry (e.g. a POST carrying an idempotency key). */
  idempotent?: boolean;
}

/** An answer from the target (any status below 500 except 429: 404 is an answer, not a failure). */
export interface Answered<T> {
  degraded: false;
  status: number;
  headers: Headers;
  body: T;
  attempts: number;
}

/** No answer; `body` is what the declared fallback returned, and `reason` says why. */
export interface Degraded<F> {
  degraded: true;
  reason: FailureReason;
  detail: string;
  body: F;
  attempts: number;
}

export type Fallback<F> = (failure: UpstreamFailure) => F | Promise<F>;

interface AttemptInput {
  url: string;
  init: RequestInit;
  timeoutMs: number;
  method: string;
}

interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRYABLE: ReadonlySet<FailureReason> = new Set(['timeout', 'unavailable', 'server-error']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const metrics = () => ({
  state: gauge('http_client_breaker_state', 'Circuit breaker state per target: 0 closed, 1 half-open, 2 open', ['target']),
  transitions: counter('http_client_breaker_transitions_total', 'Circuit breaker state changes', ['target', 'state']),
  attempts: histogram(
    'http_client_request_duration_seconds',
    'Latency of each outgoing HTTP attempt by outcome (2xx, 4xx, 5xx, timeout, unavailable)',
    ['target', 'method', 'outcome'],
  ),
  calls: counter('http_client_calls_total', 'Outgoing calls by final outcome (answered or the failure reason)', ['target', 'outcome', 'fallback']),
  retries: counter('http_client_retries_total', 'Retries of idempotent calls', ['target']),
  inFlight: gauge('http_client_in_flight', 'Calls in flight per target (bounded by the bulkhead)', ['target']),
});

/**
 * The one way services call each other over HTTP. Per call: a budget; per attempt: a timeout that
 * aborts the socket. Idempotent calls retry with jittered exponential backoff. Each attempt goes
 * through an opossum circuit breaker per target: after enough failures it opens and calls fail fast
 * without touching the network; after `resetTimeoutMs` one probe is let through (half-open) and a
 * success closes it. A bulkhead bounds calls in flight so a slow target cannot pile requests up.
 * `x-request-id` and `traceparent` of the current request travel along.
 */
export class HttpClient {
  readonly target: string;
  private readonly breaker: CircuitBreaker<[AttemptInput], RawResponse>;
  private readonly metrics = metrics();
  private readonly timeoutMs: number;
  private readonly budgetMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly maxConcurrent: number;
  private inFlight = 0;

  constructor(private readonly options: HttpClientOptions) {
    this.target = options.target;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.budgetMs = options.budgetMs ?? Math.round(this.timeoutMs * 2.5);
    this.retries = Math.max(0, options.retries ?? 2);
    this.retryBaseMs = options.retryBaseMs ?? 50;
    this.retryMaxMs = options.retryMaxMs ?? 1_000;
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 16);
    const breaker = options.breaker ?? {};
    this.breaker = new CircuitBreaker((input: AttemptInput) => this.attempt(input), {
      name: options.target,
      // Timeouts are ours (per attempt, aborting the socket); opossum's would leave the request running.
      timeout: false,
      volumeThreshold: breaker.volumeThreshold ?? 5,
      errorThresholdPercentage: breaker.errorThresholdPercentage ?? 50,
      resetTimeout: breaker.resetTimeoutMs ?? 5_000,
      rollingCountTimeout: breaker.rollingWindowMs ?? 10_000,
      rollingCountBuckets: 10,
    });
    const track = (state: BreakerState) => () => {
      this.metrics.state.set({ target: this.target }, STATE_VALUE[state]);
      this.metrics.transitions.inc({ target: this.target, state });
      // Emitted inside the attempt that caused it, so the call's span shows the transition.
      addSpanEvent(`breaker ${state}`, { 'http_client.target': this.target });
    };
    this.breaker.on('open', track('open'));
    this.breaker.on('halfOpen', track('half-open'));
    this.breaker.on('close', track('closed'));
    this.metrics.state.set({ target: this.target }, 0);
    this.metrics.inFlight.set({ target: this.target }, 0);
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  get callsInFlight(): number {
    return this.inFlight;
  }

  get<T>(path: string, options?: Omit<RequestOptions, 'method' | 'body'>): Promise<Answered<T>>;
  get<T, F>(path: string, options: Omit<RequestOptions, 'method' | 'body'> & { fallback: Fallback<F> }): Promise<Answered<T> | Degraded<F>>;
  get<T, F>(path: string, options: Omit<RequestOptions, 'method' | 'body'> & { fallback?: Fallback<F> } = {}) {
    return this.run<T, F>(path, { ...options, method: 'GET' }, options.fallback);
  }

  /** Any method. Without `fallback` a failure rejects with UpstreamFailure; with it, resolves Degraded. */
  request<T>(path: string, options?: RequestOptions): Promise<Answered<T>>;
  request<T, F>(path: string, options: RequestOptions & { fallback: Fallback<F> }): Promise<Answered<T> | Degraded<F>>;
  request<T, F>(path: string, options: RequestOptions & { fallback?: Fallback<F> } = {}) {
    return this.run<T, F>(path, options, options.fallback);
  }

  /** Stops the breaker's timers; call from onModuleDestroy. */
  close(): void {
    this.breaker.shutdown();
  }

  onModuleDestroy(): void {
    this.close();
  }

  /**
   * With tracing on, each call is one span (`media GET`) holding its attempts (the fetch spans), with
   * retries and breaker transitions as events and the outcome, attempts and breaker state as attributes.
   */
  private run<T, F>(path: string, options: RequestOptions, fallback?: Fallback<F>): Promise<Answered<T> | Degraded<F>> {
    const method = (options.method ?? 'GET').toUpperCase();
    return inSpan(
      `${this.target} ${method}`,
      {
        attributes: {
          'http_client.target': this.target,
          'http.request.method': method,
          'url.path': path,
          'http_client.breaker': this.state,
        },
      },
      (span) => this.callWithFallback<T, F>(path, options, fallback, span),
    );
  }

  private async callWithFallback<T, F>(
    path: string,
    options: RequestOptions,
    fallback: Fallback<F> | undefined,
    span: Span | undefined,
  ): Promise<Answered<T> | Degraded<F>> {
    try {
      const answered = await this.call<T>(path, options);
      this.metrics.calls.inc({ target: this.target, outcome: 'answered', fallback: 'no' });
      span?.setAttributes({
        'http_client.outcome': 'answered',
        'http_client.attempts': answered.attempts,
        'http.response.status_code': answered.status,
      });
      return answered;
    } catch (error) {
      const failure =
        error instanceof UpstreamFailure ? error : new UpstreamFailure(this.target, 'unavailable', (error as Error).message);
      this.metrics.calls.inc({ target: this.target, outcome: failure.reason, fallback: fallback ? 'yes' : 'no' });
      if (span) {
        span.setAttributes({
          'http_client.outcome': failure.reason,
          'http_client.attempts': failure.attempts,
          'http_client.breaker': this.state,
        });
        // Red in the trace viewer even when the fallback answered: the call itself failed.
        recordFailure(span, failure);
        if (fallback) span.addEvent('fallback', { 'http_client.reason': failure.reason });
      }
      if (!fallback) throw failure;
      return { degraded: true, reason: failure.reason, detail: failure.message, body: await fallback(failure), attempts: failure.attempts };
    }
  }

  private async call<T>(path: string, options: RequestOptions): Promise<Answered<T>> {
    if (this.inFlight >= this.maxConcurrent) {
      throw new UpstreamFailure(this.target, 'bulkhead-full', `${this.inFlight} calls already in flight`);
    }
    this.inFlight++;
    this.metrics.inFlight.set({ target: this.target }, this.inFlight);
    try {
      return await this.withRetries<T>(path, options);
    } finally {
      this.inFlight--;
      this.metrics.inFlight.set({ target: this.target }, this.inFlight);
    }
  }

  private async withRetries<T>(path: string, options: RequestOptions): Promise<Answered<T>> {
    const method = (options.method ?? 'GET').toUpperCase();
    const retryable = options.idempotent ?? IDEMPOTENT.has(method);
    const maxAttempts = retryable ? this.retries + 1 : 1;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = Date.now() + Math.max(this.budgetMs, timeoutMs);
    const url = this.url(path, options.query);
    const init = this.init(method, options);

    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      try {
        if (remaining <= 0) throw new UpstreamFailure(this.target, 'timeout', 'call budget exhausted');
        const response = await this.breaker.fire({ url, init, method, timeoutMs: Math.min(timeoutMs, remaining) });
        return { degraded: false, status: response.status, headers: response.headers, body: response.body as T, attempts: attempt };
      } catch (error) {
        const failure = this.classify(error, attempt);
        if (!RETRYABLE.has(failure.reason) || attempt >= maxAttempts) throw failure;
        const backoff = Math.random() * Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempt - 1));
        if (Date.now() + backoff >= deadline) throw failure;
        this.metrics.retries.inc({ target: this.target });
        addSpanEvent('retry', {
          'http_client.attempt': attempt,
          'http_client.reason': failure.reason,
          'http_client.backoff_ms': Math.round(backoff),
        });
        await sleep(backoff);
      }
    }
  }

  /** One attempt: resolves for answers, throws for failures (which the breaker counts). */
  private async attempt(input: AttemptInput): Promise<RawResponse> {
    const stop = this.metrics.attempts.startTimer({ target: this.target, method: input.method });
    const signal = AbortSignal.timeout(input.timeoutMs);
    try {
      const response = await fetch(input.url, { ...input.init, signal });
      const text = await response.text();
      const type = response.headers.get('content-type') ?? '';
      const body = type.includes('json') && text.length > 0 ? JSON.parse(text) : text;
      stop({ outcome: `${Math.floor(response.status / 100)}xx` });
      if (response.status >= 500 || response.status === 429) {
        throw new UpstreamFailure(this.target, 'server-error', `answered ${response.status}`, response.status);
      }
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (error instanceof UpstreamFailure) throw error;
      if (signal.aborted) {
        stop({ outcome: 'timeout' });
        throw new UpstreamFailure(this.target, 'timeout', `no answer within ${input.timeoutMs} ms`);
      }
      stop({ outcome: 'unavailable' });
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UpstreamFailure(this.target, 'unavailable', cause?.code ?? cause?.message ?? (error as Error).message);
    }
  }

  private classify(error: unknown, attempts: number): UpstreamFailure {
    if (error instanceof UpstreamFailure) {
      return new UpstreamFailure(this.target, error.reason, error.message.replace(`${this.target}: ${error.reason}: `, ''), error.status, attempts);
    }
    if (CircuitBreaker.isOurError(error as Error) && (error as { code?: string }).code === 'EOPENBREAKER') {
      return new UpstreamFailure(this.target, 'circuit-open', 'breaker is open; request not sent', undefined, attempts);
    }
    return new UpstreamFailure(this.target, 'unavailable', (error as Error).message, undefined, attempts);
  }

  private url(path: string, query: RequestOptions['query']): string {
    const url = new URL(path.replace(/^\/+/, ''), this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private init(method: string, options: RequestOptions): RequestInit {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...options.headers };
    const trace = RequestContext.trace();
    if (trace.requestId && !headers['x-request-id']) headers['x-request-id'] = trace.requestId;
    // With tracing on, fetch's instrumentation sends the attempt's own traceparent; off, the caller's travels on.
    if (!tracingActive() && trace.traceparent && !headers.traceparent) headers.traceparent = trace.traceparent;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    return { method, headers, body };
  }
}
