/**
 * docker-compose.yml stays consistent with the apps' env contract, scripts/infra/infra.sh (host ports)
 * and the chart (images, topics, one-shot steps).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { APPS, CHART, ROOT, envContract } from './support/tools';

const compose = load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, any> };
const chartValues = load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as any;
const infraScript = readFileSync(join(ROOT, 'scripts/infra/infra.sh'), 'utf8');

/** The default of `NAME="${NAME:-value}"` in infra.sh. */
function infraDefault(name: string): string {
  const match = new RegExp(`^${name}="\\$\\{${name}:-([^}]+)\\}"`, 'm').exec(infraScript);
  if (!match) throw new Error(`scripts/infra/infra.sh has no default for ${name}`);
  return match[1];
}
const hostPort = (service: string) => (compose.services[service].ports as string[]).map((p) => p.split(':')[0]);

describe('docker-compose.yml', () => {
  it.each(APPS)('%s: environment covers the required contract names and sets nothing outside it', (app) => {
    const { required, all } = envContract()[app];
    const service = compose.services[app];
    expect(service.build.args.APP).toBe(app);
    const names = Object.keys(service.environment);
    expect(required.filter((n) => !names.includes(n))).toEqual([]);
    expect(names.filter((n) => !all.includes(n))).toEqual([]);
    expect(service.environment.HOST).toBe('0.0.0.0');
    expect(service.ports).toEqual([`${service.environment.PORT}:${service.environment.PORT}`]);
    expect(service.profiles).toEqual(['apps']);
  });

  it('infra services and host ports match scripts/infra/infra.sh defaults', () => {
    expect(hostPort('postgres-primary')).toEqual([infraDefault('PG_PRIMARY_PORT')]);
    expect(hostPort('postgres-replica')).toEqual([infraDefault('PG_REPLICA_PORT')]);
    expect(hostPort('redis')).toEqual([infraDefault('REDIS_PORT')]);
    expect(hostPort('kafka')).toEqual([infraDefault('KAFKA_PORT')]);
    expect([infraDefault('PG_PRIMARY_PORT'), infraDefault('PG_REPLICA_PORT'), infraDefault('REDIS_PORT'), infraDefault('KAFKA_PORT')]).toEqual(['55432', '55433', '56379', '59092']);
    expect(compose.services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain(`localhost:${infraDefault('KAFKA_PORT')}`);
    const kafkaVersion = /^KAFKA_VERSION=(\S+)/m.exec(infraScript)![1];
    expect(compose.services.kafka.image).toBe(`apache/kafka:${kafkaVersion}`);
  });

  it('uses the same pinned infra images as the chart', () => {
    const image = (i: { repository: string; tag: string }) => `${i.repository}:${i.tag}`;
    expect(compose.services['postgres-primary'].image).toBe(image(chartValues.devInfra.postgres.image));
    expect(compose.services['postgres-replica'].image).toBe(image(chartValues.devInfra.postgres.image));
    expect(compose.services.redis.image).toBe(image(chartValues.devInfra.redis.image));
    expect(compose.services.kafka.image).toBe(image(chartValues.devInfra.kafka.image));
    expect(compose.services['topic-init'].image).toBe(image(chartValues.kafka.topicInit.image));
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expect(`${name}: ${service.image}`).toMatch(/:[\w.-]+$/);
      if (service.image) expect(service.image).not.toMatch(/:latest$/);
    }
  });

  it('creates the chart topics with their .dlq twins before the services start', () => {
    const script = compose.services['topic-init'].command.join('\n');
    for (const topic of chartValues.kafka.topics.names) expect(script).toContain(topic);
    expect(script).toContain('"$$topic.dlq"');
    for (const app of APPS) {
      expect(compose.services[app].depends_on['topic-init']).toEqual({ condition: 'service_completed_successfully' });
      // Migrations run before serving, and the server is exec'd so it receives SIGTERM.
      expect(compose.services[app].entrypoint.join(' ')).toMatch(/node \/app\/main\.js migrate && exec node \/app\/main\.js/);
    }
    expect(compose.services.auth.depends_on['jwt-keygen']).toEqual({ condition: 'service_completed_successfully' });
  });

  it('gives media a writable storage directory shared by its replicas', () => {
    const { required } = envContract().media;
    if (!required.includes('MEDIA_STORAGE_DIR')) return;
    const dir = compose.services.media.environment.MEDIA_STORAGE_DIR;
    expect(dir).toMatch(/^\//);
    expect((compose.services.media.volumes as string[]).some((v) => v.split(':')[1] === dir)).toBe(true);
  });
});
