// HAProxy in front of every replica: path routing, active health checks on /health/ready, retries
// with redispatch for idempotent requests, and a runtime API so replicas join and leave without a reload.
import { createConnection } from 'node:net';

export const MAX_REPLICAS = 8;

/** HAProxy's own errors (no server left, a server broke, a timeout) as RFC 9457 problem+json, like the services'. */
const BALANCER_ERRORS = [
  [502, 'Bad Gateway', 'balancer.bad_gateway', 'A replica answered with an invalid response.', 1],
  [503, 'Service Unavailable', 'balancer.no_replica', 'No replica of this service is ready to take the request.', 2],
  [504, 'Gateway Timeout', 'balancer.timeout', 'The replica did not answer in time.', 1],
];

const quoted = (text) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function balancerErrorRules() {
  return BALANCER_ERRORS.map(([status, title, code, detail, retryAfter]) => {
    const body = JSON.stringify({ type: `urn:problem:${code}`, title, status, detail, code, retryAfter });
    return `  http-error status ${status} content-type application/problem+json string ${quoted(body)} hdr retry-after ${retryAfter}`;
  });
}

export function haproxyConfig({ services, lbPort, statsPort, controlPort, socket, pidFile }) {
  const lines = [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    `  pidfile ${pidFile}`,
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 5s',
    '  option http-server-close',
    '  option forwardfor',
    // A request that fails to connect, or gets an empty response or a 503 from a draining replica, is
    // retried once on another server; only idempotent methods get the layer-7 retries.
    '  retries 2',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response junk-response response-timeout 502 503 504',
    ...balancerErrorRules(),
    '',
    'frontend public',
    `  bind 127.0.0.1:${lbPort}`,
    '  http-request set-header x-request-id %[uuid()] unless { req.hdr(x-request-id) -m found }',
    // The merged API document of every service, served by the supervisor (see supervisor.mjs).
    '  use_backend be_docs if { path /docs /docs/ /docs/openapi.json }',
    ...services.map((service) => `  use_backend be_${service.name} if { path_beg /${service.name} }`),
    '  default_backend be_none',
    '',
    'backend be_docs',
    `  server supervisor 127.0.0.1:${controlPort}`,
    '',
    'backend be_none',
    '  http-request return status 404 content-type application/problem+json string "{\\"type\\":\\"about:blank\\",\\"title\\":\\"Not Found\\",\\"status\\":404,\\"detail\\":\\"No service under this path: use /auth, /catalog, /media or /profile (API document: /docs).\\"}"',
    '',
  ];
  for (const service of services) {
    lines.push(
      `backend be_${service.name}`,
      '  balance roundrobin',
      '  option httpchk GET /health/ready',
      '  http-check expect status 200',
      '  http-request disable-l7-retry unless METH_GET || METH_HEAD || METH_OPTIONS',
    );
    for (let index = 0; index < MAX_REPLICAS; index++) {
      const port = service.basePort + 100 * index;
      lines.push(`  server ${service.name}-${index} 127.0.0.1:${port} check inter 500ms fall 2 rise 2 disabled`);
    }
    lines.push('');
  }
  lines.push('listen stats', `  bind 127.0.0.1:${statsPort}`, '  stats enable', '  stats uri /', '  stats refresh 2s', '');
  return lines.join('\n');
}

/** One command on the HAProxy runtime API (unix socket); resolves with its answer. */
export function haproxyCommand(socket, command) {
  return new Promise((resolve, reject) => {
    const connection = createConnection(socket);
    let answer = '';
    connection.on('connect', () => connection.end(`${command}\n`));
    connection.on('data', (chunk) => (answer += chunk));
    connection.on('end', () => resolve(answer.trim()));
    connection.on('error', reject);
  });
}

/** Requests served and state per server, from `show stat`. */
export async function haproxyStats(socket) {
  const csv = await haproxyCommand(socket, 'show stat');
  const [header, ...rows] = csv.replace(/^# /, '').split('\n');
  const columns = header.split(',');
  const stats = {};
  for (const row of rows) {
    const cells = row.split(',');
    const record = Object.fromEntries(columns.map((column, i) => [column, cells[i]]));
    if (record.svname && record.svname !== 'FRONTEND' && record.svname !== 'BACKEND') {
      stats[record.svname] = { status: record.status, served: Number(record.stot ?? 0), active: Number(record.scur ?? 0) };
    }
  }
  return stats;
}
