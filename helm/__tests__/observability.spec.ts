/**
 * Traces and alerts in the chart: the services' OTEL_* settings and the Jaeger they point at, the
 * PrometheusRule that is the local rules file as it is, the Grafana dashboard ConfigMap, and bad values.
 * (The rules' own checks and unit tests, and the dashboard's queries against live services: tools/observability.)
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { APPS, byKind, CHART, component, render, template, valueSets, type K8sObject } from './support/tools';

const sets = valueSets();
const RULES_FILE = join(CHART, 'files/alerts/saas-starter.rules.yaml');
const DASHBOARD_FILE = join(CHART, 'files/grafana-dashboard.json');

const configOf = (objects: K8sObject[], app: string) =>
  byKind(objects, 'ConfigMap').find((o) => component(o) === app && o.data?.PORT)!.data as Record<string, string>;

describe('tracing', () => {
  it('off by default: no OTEL_* in any service, no Jaeger', () => {
    const objects = render(sets.defaults);
    for (const app of APPS) expect(Object.keys(configOf(objects, app)).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
    expect(objects.filter((o) => component(o) === 'jaeger')).toEqual([]);
  });

  it('on with the chart`s Jaeger: every service exports to its Service`s OTLP port, which the Jaeger pod serves', () => {
    const objects = render(sets['everything-on']);
    const service = byKind(objects, 'Service').find((o) => component(o) === 'jaeger')!;
    const deployment = byKind(objects, 'Deployment').find((o) => component(o) === 'jaeger')!;
    const otlp = service.spec.ports.find((p: any) => p.name === 'otlp-http');
    expect(otlp.port).toBe(4318);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports.find((p: any) => p.name === otlp.targetPort).containerPort).toBe(4318);
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'JAEGER_HOST', value: '0.0.0.0' }, { name: 'JAEGER_OTLP_HTTP_PORT', value: '4318' }]));
    for (const app of APPS) {
      expect(configOf(objects, app)).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${service.metadata.name}:4318`,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      });
    }
    // The one Jaeger configuration: the file `npm start` runs, mounted as it is.
    const config = byKind(objects, 'ConfigMap').find((o) => component(o) === 'jaeger')!;
    expect(config.data['config.yaml']).toBe(readFileSync(join(CHART, 'files/jaeger/config.yaml'), 'utf8'));
    expect(deployment.spec.replicas).toBe(1);
  });

  it('to an external collector: its endpoint, and no Jaeger in the release', () => {
    const objects = render(sets['tracing-external']);
    expect(objects.filter((o) => component(o) === 'jaeger')).toEqual([]);
    for (const app of APPS) {
      expect(configOf(objects, app)).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      });
    }
  });

  it.each([
    [['tracing.enabled=true', 'tracing.jaeger.enabled=false'], 'tracing.enabled needs somewhere to send spans: set tracing.endpoint'],
    [['tracing.enabled=true', 'tracing.samplerArg=1.5'], "at '/tracing/samplerArg'"],
    [['tracing.sampler=sometimes'], "at '/tracing/sampler': value must be one of"],
    [['tracing.endpoint=grpc://collector:4317'], "at '/tracing/endpoint': 'grpc://collector:4317' does not match pattern"],
    [['tracing.enabled=true', 'tracing.jaeger.image.tag=latest'], 'tracing.jaeger.image.tag must be a pinned version'],
    [['tracing.jaeger.storage=badger'], "at '/tracing/jaeger': additional properties 'storage' not allowed"],
  ])('%j is refused', (set, message) => {
    const result = template({ set });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe('alert rules', () => {
  it('the PrometheusRule is the rules file as it is (one source of truth)', () => {
    const objects = render(sets['everything-on']);
    const [rule] = byKind(objects, 'PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels?.release).toBe('prometheus');
    expect(rule.spec).toEqual(load(readFileSync(RULES_FILE, 'utf8')));
    const alerts = rule.spec.groups.flatMap((group: any) => group.rules.map((r: any) => r.alert));
    expect(alerts).toEqual([
      'SaasHttp5xxRatioHigh',
      'SaasHttpLatencyP99High',
      'SaasReplicaLagHigh',
      'SaasOutboxOldestEventAged',
      'SaasConsumerLagHigh',
      'SaasDeadLettersIncreasing',
      'SaasCircuitBreakerOpen',
      'SaasReadinessFlapping',
    ]);
  });

  it('is off unless asked for (it needs the Prometheus Operator CRD)', () => {
    expect(byKind(render(sets.defaults), 'PrometheusRule')).toEqual([]);
  });
});

describe('Grafana dashboard ConfigMap', () => {
  it('carries the dashboard file as it is', () => {
    const objects = render(sets['everything-on']);
    const dashboard = byKind(objects, 'ConfigMap').find((o) => o.data?.['saas-starter.json'])!;
    expect(JSON.parse(dashboard.data['saas-starter.json'])).toEqual(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')));
  });
});
