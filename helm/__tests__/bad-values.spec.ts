/**
 * Bad values are refused before anything reaches a cluster: by values.schema.json (types, ranges,
 * unknown keys) or by a template `fail` with a message that says what to do.
 */
import { PRODUCTION_VALUES, lint, template, type ValueSet } from './support/tools';

const rejects = (values: ValueSet) => {
  const result = template(values);
  expect(result.status).not.toBe(0);
  expect(result.stdout).toBe('');
  return result.stderr;
};

describe('values.schema.json', () => {
  it.each([
    ['defaults.replicaCount=-1', "at '/defaults/replicaCount': minimum: got -1, want 0"],
    ['services.catalog.replicaCount=-1', "at '/services/catalog/replicaCount': minimum: got -1, want 0"],
    ['services.auth.port=70000', "at '/services/auth/port': maximum: got 70,000, want 65,535"],
    ['defaults.autoscaling.targetCPUUtilizationPercentage=0', "at '/defaults/autoscaling/targetCPUUtilizationPercentage': minimum: got 0, want 1"],
    ['kafka.topics.partitions=0', "at '/kafka/topics/partitions': minimum: got 0, want 1"],
    ['config.logLevel=loud', "at '/config/logLevel': value must be one of"],
    ['containerSecurityContext.allowPrivilegeEscalation=true', "at '/containerSecurityContext/allowPrivilegeEscalation': value must be false"],
    ['podSecurityContext.runAsNonRoot=false', "at '/podSecurityContext/runAsNonRoot': value must be true"],
    ['kafka.brokers=not a broker list', "at '/kafka/brokers': 'not a broker list' does not match pattern"],
    ['services.media.storage.dir=relative/path', "at '/services/media/storage/dir': 'relative/path' does not match pattern"],
  ])('%s is rejected', (set, message) => {
    expect(rejects({ set: [set] })).toContain(message);
  });

  it.each([
    ['replicaCont=2', "at '': additional properties 'replicaCont' not allowed"],
    ['services.catalog.replicas=2', "at '/services/catalog': additional properties 'replicas' not allowed"],
    ['services.billing.port=3005', "at '/services': additional properties 'billing' not allowed"],
    ['devInfra.postgres.pasword=x', "at '/devInfra/postgres': additional properties 'pasword' not allowed"],
  ])('the unknown key in %s is rejected', (set, message) => {
    expect(rejects({ set: [set] })).toContain(message);
  });

  it('env names must look like environment variables', () => {
    const stderr = rejects({ set: ['config.env.log-level=debug'] });
    expect(stderr).toContain("invalid propertyName 'log-level'");
    expect(stderr).toContain("'log-level' does not match pattern '^[A-Z][A-Z0-9_]*$'");
  });

  it('helm lint reports the same schema errors', () => {
    const result = lint({ set: ['defaults.replicaCount=-1'] });
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain("at '/defaults/replicaCount': minimum: got -1, want 0");
  });
});

describe('template checks', () => {
  const production: ValueSet = { files: [PRODUCTION_VALUES] };

  it('production mode without a service Secret fails and says which Secret and keys to create', () => {
    const stderr = rejects({ files: production.files, set: ['services.catalog.existingSecret='] });
    expect(stderr).toContain(
      'services.catalog.existingSecret is required when devInfra.enabled is false (production): create a Secret with the keys DATABASE_PRIMARY_URL and REDIS_URL (optional: DATABASE_REPLICA_URLS) and set services.catalog.existingSecret to its name',
    );
  });

  it("production mode without auth's Secret names JWT_SIGNING_KEYS too", () => {
    expect(rejects({ files: production.files, set: ['services.auth.existingSecret='] })).toContain('JWT_SIGNING_KEYS is required for auth');
  });

  it('production mode without Kafka brokers fails', () => {
    expect(rejects({ files: production.files, set: ['kafka.brokers='] })).toContain('kafka.brokers is required when devInfra.enabled is false (production)');
  });

  it('auth without signing keys (no existingSecret, jwtKeygen off) fails', () => {
    expect(rejects({ set: ['jwtKeygen.enabled=false'] })).toContain('auth needs JWT_SIGNING_KEYS: set services.auth.existingSecret');
  });

  it.each([
    ['image.tag=latest', 'services.auth: the image tag must be pinned; `latest` is not allowed'],
    ['services.media.image.tag=latest', 'services.media: the image tag must be pinned; `latest` is not allowed'],
    ['devInfra.redis.image.tag=latest', 'devInfra.redis.image.tag must be a pinned version (not empty, not `latest`)'],
  ])('%s is refused', (set, message) => {
    expect(rejects({ set: [set] })).toContain(message);
  });

  it('a grace period shorter than preStop + drain + request time is refused', () => {
    expect(rejects({ set: ['services.catalog.shutdown.terminationGracePeriodSeconds=10'] })).toContain(
      'services.catalog.shutdown: terminationGracePeriodSeconds (10) must exceed preStopSleepSeconds (5) + drainMs/1000 (5) + 5s',
    );
  });

  it('maxReplicas below minReplicas is refused', () => {
    expect(rejects({ set: ['services.profile.autoscaling.minReplicas=5', 'services.profile.autoscaling.maxReplicas=3'] })).toContain(
      'services.profile.autoscaling: maxReplicas (3) must be >= minReplicas (5)',
    );
  });

  it('lag scaling (KEDA) is refused beside the CPU HPA, above the partition count, or without a consumer group', () => {
    expect(rejects({ set: ['services.media.lagScaling.enabled=true'] })).toContain(
      'services.media: lagScaling and autoscaling are both enabled; KEDA makes its own HPA from the ScaledObject, so set services.media.autoscaling.enabled=false',
    );
    const off = 'services.media.autoscaling.enabled=false';
    expect(rejects({ set: [off, 'services.media.lagScaling.enabled=true', 'services.media.lagScaling.maxReplicas=4'] })).toContain(
      'services.media.lagScaling.maxReplicas (4) is above kafka.topics.partitions (3): a consumer group gives each partition to one member, so the extra replicas would sit idle',
    );
    expect(rejects({ set: ['services.auth.autoscaling.enabled=false', 'services.auth.lagScaling.enabled=true'] })).toContain(
      'services.auth.lagScaling needs consumerGroup and topic (the group the service consumes with)',
    );
    expect(rejects({ set: [off, 'services.media.lagScaling.enabled=true', 'services.media.lagScaling.topic=bad topic'] })).toContain('/services/media/lagScaling/topic');
    // Within the partitions it renders, with the topic prefix on group and topic.
    const ok = template({ set: [off, 'services.media.lagScaling.enabled=true', 'kafka.topicPrefix=staging.', 'kafka.topics.partitions=6', 'services.media.lagScaling.maxReplicas=6'] });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('consumerGroup: "staging.media-thumbnails"');
    expect(ok.stdout).toContain('topic: "staging.media.asset.v1"');
    expect(ok.stdout).toContain('maxReplicaCount: 6');
  });

  it('a good override of the same keys renders (the checks are not blanket refusals)', () => {
    for (const set of ['services.catalog.replicaCount=0', 'image.tag=1.2.3', 'services.catalog.shutdown.terminationGracePeriodSeconds=16']) {
      const result = template({ set: [set] });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });
});
