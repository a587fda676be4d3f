import FindMyWay from 'find-my-way';
import { DomainError } from './domain-error';

const noop = () => undefined;

/**
 * Every route the app registered, by method, so a request for a known path with another method gets
 * 405 and an `Allow` header instead of a bare 404 (Fastify's router only knows "no match").
 */
export class RouteTable {
  private readonly router = FindMyWay();
  private readonly methods = new Set<string>();

  add(method: string | string[], url: string): void {
    for (const one of Array.isArray(method) ? method : [method]) {
      if (this.router.find(one as never, url)) continue; // the same route registered twice (e.g. HEAD for GET)
      this.router.on(one as never, url, noop);
      this.methods.add(one);
    }
  }

  /** The methods that do have a route for this path (empty when the path itself is unknown). */
  allowed(path: string): string[] {
    return [...this.methods].filter((method) => this.router.find(method as never, path)).sort();
  }
}

export class MethodNotAllowedError extends DomainError {
  constructor(method: string, allowed: string[]) {
    super('http.method_not_allowed', `${method} is not allowed on this path; allowed: ${allowed.join(', ')}`, 405, { allow: allowed });
  }
}
