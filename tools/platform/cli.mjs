#!/usr/bin/env node
// npm run platform -- status | scale <service> <n> | kill <service> [index] | restart <service> | logs <service> [index] | stop
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICES = ['auth', 'catalog', 'media', 'profile'];
const [command, service, arg] = process.argv.slice(2);
const fail = (message, code = 2) => {
  process.stderr.write(`platform: ${message}\n`);
  process.exit(code);
};
/** One readable line: `[replica] GET /catalog/products 200 12ms` for requests, `[replica] Context: message` otherwise. */
function prettyMessage(log, messageKey) {
  const where = `[${log.instance ?? '?'}]`;
  if (log.req && log.res) return `${where} ${log.req.method} ${log.req.url} ${log.res.statusCode} ${log.responseTime ?? '?'}ms`;
  return `${where} ${log.context ? `${log.context}: ` : ''}${log[messageKey] ?? ''}`;
}
const usage = 'usage: npm run platform -- status | scale <service> <n> | kill <service> [index] | restart <service> | logs <service> [index] | stop';

if (!command) fail(usage);
if (['scale', 'kill', 'restart', 'logs'].includes(command) && !SERVICES.includes(service ?? '')) {
  fail(`unknown service '${service ?? ''}' (expected one of ${SERVICES.join(', ')})`);
}
if (command === 'scale' && !/^\d+$/.test(arg ?? '')) fail(`replicas must be a whole number from 1 to 8, got '${arg ?? ''}'`);
if (command === 'kill' && arg !== undefined && !/^\d+$/.test(arg)) fail(`index must be a whole number, got '${arg}'`);

if (command === 'logs') {
  const file = join(root, '.local/platform/logs', `${service}-${arg ?? 0}.log`);
  if (!existsSync(file)) fail(`no log file ${file}`);
  // JSON lines for pipes and tools; readable lines for a person at a terminal.
  const tail = spawn('tail', ['-n', '50', '-f', file], { stdio: ['ignore', process.stdout.isTTY ? 'pipe' : 'inherit', 'inherit'] });
  if (process.stdout.isTTY) {
    const { default: pretty } = await import('pino-pretty');
    tail.stdout.pipe(pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,instance,req,res,responseTime,context', messageFormat: prettyMessage })).pipe(process.stdout);
  }
} else {
  const controlFile = join(root, '.local/platform/control.json');
  const port = existsSync(controlFile) ? JSON.parse(readFileSync(controlFile, 'utf8')).controlPort : Number(process.env.PLATFORM_CONTROL_PORT ?? 8099);
  const routes = { status: ['GET', '/status'], scale: ['POST', `/scale/${service}/${arg}`], kill: ['POST', `/kill/${service}/${arg ?? 0}`], restart: ['POST', `/restart/${service}`], stop: ['POST', '/stop'] };
  if (!routes[command]) fail(usage);
  const [method, path] = routes[command];
  let response;
  try {
    response = await fetch(`http://127.0.0.1:${port}${path}`, { method, signal: AbortSignal.timeout(180_000) });
  } catch {
    fail(`the platform is not running (no control API on 127.0.0.1:${port}); start it with 'npm start'`, 1);
  }
  const body = await response.json();
  if (!response.ok) fail(body.error ?? `HTTP ${response.status}`, 1);
  if (command === 'status' || command === 'scale' || command === 'restart') {
    for (const [name, info] of Object.entries(body)) {
      process.stdout.write(`${name} (desired ${info.desired})\n`);
      for (const r of info.replicas) {
        process.stdout.write(`  ${r.name.padEnd(10)} pid ${String(r.pid ?? '-').padEnd(7)} port ${r.port}  ${String(r.state).padEnd(10)} lb ${String(r.balancer).padEnd(6)} served ${r.served}  restarts ${r.restarts}\n`);
      }
    }
  } else {
    process.stdout.write(`${JSON.stringify(body)}\n`);
  }
}
