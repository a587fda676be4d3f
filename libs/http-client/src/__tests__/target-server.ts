import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export type Mode = { kind: 'ok' } | { kind: 'slow'; delayMs: number } | { kind: 'fail'; status: number };

/**
 * A real HTTP target on loopback whose behaviour a test switches at will: answering, slow, failing,
 * or down (its port closed, so connections are refused). Counts hits and peak concurrency.
 */
export class TargetServer {
  mode: Mode = { kind: 'ok' };
  hits = 0;
  inFlight = 0;
  peakInFlight = 0;
  lastHeaders: IncomingHttpHeaders = {};
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.hits++;
      this.inFlight++;
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      this.lastHeaders = req.headers;
      const mode = this.mode;
      let finished = false;
      const finish = () => {
        if (!finished) this.inFlight--;
        finished = true;
      };
      res.on('close', finish);
      const answer = () => {
        finish();
        if (res.destroyed) return;
        if (mode.kind === 'fail') {
          res.writeHead(mode.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'boom' }));
          return;
        }
        const status = req.url?.startsWith('/missing') ? 404 : 200;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, method: req.method }));
      };
      if (mode.kind === 'slow') setTimeout(answer, mode.delayMs);
      else answer();
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Closes the port and every open connection: the target is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.inFlight = 0;
  }

  reset(): void {
    this.hits = 0;
    this.peakInFlight = 0;
  }
}
