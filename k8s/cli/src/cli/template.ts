/**
 * The load-generator template k8s/demo/loadgen-job.yaml (a Job running k8s/demo/loadgen.mjs from a
 * ConfigMap on the release's own image), filled the way its header documents
 * (`envsubst '$NAME $IMAGE $RPS $CONCURRENCY $DURATION $TARGET'`). Pure, unit-tested.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { CliError, ExitCode } from './errors';

export const DEFAULT_TEMPLATE = resolve(__dirname, '../../../../k8s/demo/loadgen-job.yaml');
export const LOADGEN_SCRIPT = resolve(__dirname, '../../../../k8s/demo/loadgen.mjs');
export const TEMPLATE_VARS = ['NAME', 'IMAGE', 'RPS', 'CONCURRENCY', 'DURATION', 'TARGET'] as const;
export type TemplateVars = Record<(typeof TEMPLATE_VARS)[number], string>;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [key: string]: unknown };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  [key: string]: unknown;
}

/** envsubst limited to the template's variables: ${X} and $X; every other `$` is left alone. */
export function substitute(text: string, vars: TemplateVars): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as keyof TemplateVars;
    return (TEMPLATE_VARS as readonly string[]).includes(name) ? vars[name] : whole;
  });
}

function readOrExplain(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the ${what} ${path}: ${(err as Error).message}`, ExitCode.usage, 'Run from the repository, or pass --template PATH.');
  }
}

export function renderTemplate(path: string, vars: TemplateVars): K8sObject[] {
  const objects = (loadAll(substitute(readOrExplain(path, 'load-generator template'), vars)) as K8sObject[]).filter((o) => o && typeof o === 'object');
  if (!objects.some((o) => o.kind === 'Job' && o.apiVersion === 'batch/v1')) {
    throw new CliError(`the load-generator template ${path} has no batch/v1 Job`, ExitCode.usage);
  }
  return objects;
}

/** The ConfigMap `<name>-script` holding k8s/demo/loadgen.mjs, which the Job mounts. */
export function scriptConfigMap(name: string, scriptPath = LOADGEN_SCRIPT): K8sObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-script` }, data: { 'loadgen.mjs': readOrExplain(scriptPath, 'load-generator script') } };
}
