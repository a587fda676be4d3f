import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components as AuthComponents, paths as AuthPaths } from './generated/auth';
import type { components as CatalogComponents, paths as CatalogPaths } from './generated/catalog';
import type { components as MediaComponents, paths as MediaPaths } from './generated/media';
import type { components as ProfileComponents, paths as ProfilePaths } from './generated/profile';

export type { AuthPaths, CatalogPaths, MediaPaths, ProfilePaths };
export type AuthSchemas = AuthComponents['schemas'];
export type CatalogSchemas = CatalogComponents['schemas'];
export type MediaSchemas = MediaComponents['schemas'];
export type ProfileSchemas = ProfileComponents['schemas'];
/** RFC 9457 problem details: the body of every error answer of every service (and of the balancer). */
export type Problem = AuthSchemas['ProblemDetails'];

export interface ApiClientOptions {
  /** Where the paths (`/auth/...`, `/catalog/...`) start: the balancer, or one service's own address. */
  baseUrl: string;
  /** An access token (from auth's login) sent as `Authorization: Bearer` unless a call sets its own. */
  token?: string;
  /** Headers for every call (e.g. `x-request-id`). */
  headers?: Record<string, string>;
  /** Abort every call that takes longer (ms). */
  timeoutMs?: number;
}

export interface ApiClient {
  auth: Client<AuthPaths>;
  catalog: Client<CatalogPaths>;
  media: Client<MediaPaths>;
  profile: Client<ProfilePaths>;
  /** The same client, calling with this access token. */
  withToken(token: string): ApiClient;
}

/**
 * A typed client for the four services, generated from their OpenAPI documents (openapi-typescript)
 * and called through openapi-fetch: paths, parameters, bodies and every answer (`data` for 2xx,
 * `error` — a Problem — otherwise) are checked by the compiler.
 *
 *   const api = createApiClient({ baseUrl: 'http://127.0.0.1:8080' });
 *   const { data, error, response } = await api.catalog.GET('/catalog/products/{id}', { params: { path: { id } } });
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new Error(`baseUrl must be an absolute http(s) URL, got '${options.baseUrl}'`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`baseUrl must be an absolute http(s) URL, got '${options.baseUrl}'`);
  const baseUrl = base.href.replace(/\/+$/, '');
  const auth: Middleware = {
    onRequest({ request }) {
      if (options.token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${options.token}`);
      return request;
    },
  };
  const { timeoutMs } = options;
  const timed = timeoutMs ? (input: Request) => fetch(input, { signal: AbortSignal.any([input.signal, AbortSignal.timeout(timeoutMs)]) }) : undefined;
  const make = <Paths extends object>(): Client<Paths> => {
    const client = createClient<Paths>({ baseUrl, headers: options.headers, ...(timed ? { fetch: timed } : {}) });
    client.use(auth);
    return client;
  };
  return {
    auth: make<AuthPaths>(),
    catalog: make<CatalogPaths>(),
    media: make<MediaPaths>(),
    profile: make<ProfilePaths>(),
    withToken: (token) => createApiClient({ ...options, token }),
  };
}
