/**
 * The load-generator template k8s/demo/loadgen-job.yaml (a ConfigMap with the k6 script and a Job), filled
 * in the way its header documents (`envsubst '$RPS $DURATION $TARGET $NAME'`). Pure, unit-tested.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { CliError, ExitCode } from './errors';

export const DEFAULT_TEMPLATE = resolve(__dirname, '../../../../k8s/demo/loadgen-job.yaml');
export const TEMPLATE_VARS = ['RPS', 'DURATION', 'TARGET', 'NAME'] as const;
export type TemplateVars = Record<(typeof TEMPLATE_VARS)[number], string>;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [key: string]: unknown };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  [key: string]: unknown;
}

/** envsubst limited to the template's four variables: ${X} and $X; every other `$` is left alone. */
export function substitute(text: string, vars: TemplateVars): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as keyof TemplateVars;
    return (TEMPLATE_VARS as readonly string[]).includes(name) ? vars[name] : whole;
  });
}

export function renderTemplate(path: string, vars: TemplateVars): K8sObject[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the load-generator template ${path}: ${(err as Error).message}`, ExitCode.usage, 'Run from the repository, or pass --template PATH.');
  }
  const objects = (loadAll(substitute(text, vars)) as K8sObject[]).filter((o) => o && typeof o === 'object');
  if (!objects.some((o) => o.kind === 'Job' && o.apiVersion === 'batch/v1')) {
    throw new CliError(`the load-generator template ${path} has no batch/v1 Job`, ExitCode.usage);
  }
  return objects;
}
