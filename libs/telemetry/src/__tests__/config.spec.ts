import { ConfigError } from '@saas/config';
import { telemetrySettings } from '../index';

const problemsOf = (env: NodeJS.ProcessEnv) => {
  try {
    telemetrySettings('auth', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe('telemetry settings from the standard OTEL_* variables', () => {
  it('is off by default: no endpoint, nothing to export to', () => {
    expect(telemetrySettings('auth', {})).toEqual({ enabled: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT' });
    // An empty value is "not set", as for every other setting.
    expect(telemetrySettings('auth', { OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toMatchObject({ enabled: false });
  });

  it('an endpoint turns it on: traces go to <endpoint>/v1/traces, parent-based always-on sampling', () => {
    expect(telemetrySettings('auth', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/', INSTANCE_ID: 'auth-0' })).toEqual({
      enabled: true,
      serviceName: 'auth',
      instance: 'auth-0',
      tracesUrl: 'http://127.0.0.1:4318/v1/traces',
      sampler: 'parentbased_always_on',
      ratio: 1,
    });
  });

  it('the traces endpoint wins over the base one; sampler, ratio and service name are read', () => {
    expect(
      telemetrySettings('catalog', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.test/otlp/v1/traces',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_SERVICE_NAME: 'catalog-eu',
      }),
    ).toMatchObject({
      enabled: true,
      serviceName: 'catalog-eu',
      tracesUrl: 'https://traces.example.test/otlp/v1/traces',
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
    });
  });

  it('OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off even with an endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(telemetrySettings('auth', { ...endpoint, OTEL_SDK_DISABLED: 'true' })).toEqual({ enabled: false, reason: 'OTEL_SDK_DISABLED=true' });
    expect(telemetrySettings('auth', { ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toEqual({ enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' });
  });

  it('refuses bad values with one line naming each variable', () => {
    expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: 'half' })).toBe('Invalid configuration: OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, e.g. 0.25');
    expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toMatch(/OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/);
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'sometimes' })).toMatch(/^Invalid configuration: OTEL_TRACES_SAMPLER must be one of always_on, /);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://127.0.0.1:4317' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT must use the http:\/\/ or https:\/\/ scheme/);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT must be a URL/);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf/);
    expect(problemsOf({ OTEL_SDK_DISABLED: 'yes' })).toMatch(/OTEL_SDK_DISABLED must be true or false/);
    // Every problem at once, not the first only.
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'x', OTEL_TRACES_SAMPLER_ARG: '-1' }).split('; ')).toHaveLength(2);
  });
});
