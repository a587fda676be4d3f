export {
  HttpClient,
  UpstreamFailure,
  type HttpClientOptions,
  type RequestOptions,
  type Answered,
  type Degraded,
  type Fallback,
  type FailureReason,
  type BreakerState,
} from './http-client';
