#!/usr/bin/env node
// TCP forwarders from the host end of the local cluster's pod network (an address k8s/cluster/cluster.sh
// created, never the machine's own interface) to the local infrastructure on loopback, so pods reach
// Postgres and Redis the way they would reach managed endpoints. Kafka has a listener of its own there
// (KAFKA_POD_LISTENER). A process of its own, so a test blocked in a child process cannot stall it.
//   node k8s/e2e/host-bridge.mjs <address> <port>...    prints "ready" once every port listens
import { createConnection, createServer } from 'node:net';

const [host, ...ports] = process.argv.slice(2);
if (!host || ports.length === 0 || ports.some((port) => !/^\d+$/.test(port))) {
  process.stderr.write('usage: host-bridge.mjs <address> <port>...\n');
  process.exit(2);
}
await Promise.all(
  ports.map(
    (port) =>
      new Promise((resolve, reject) => {
        const server = createServer((inbound) => {
          const outbound = createConnection({ host: '127.0.0.1', port: Number(port) });
          const end = () => {
            inbound.destroy();
            outbound.destroy();
          };
          inbound.on('error', end).on('close', end);
          outbound.on('error', end).on('close', end);
          inbound.pipe(outbound).pipe(inbound);
        });
        server.once('error', reject).listen(Number(port), host, resolve);
      }),
  ),
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => process.exit(0));
