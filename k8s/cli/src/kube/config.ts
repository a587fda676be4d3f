import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { GlobalOptions } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';

export interface Target {
  kc: k8s.KubeConfig;
  context: string;
  namespace: string;
  server: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

/**
 * Loads the configuration the way kubectl does: --kubeconfig, else the files in $KUBECONFIG (merged,
 * missing ones skipped), else ~/.kube/config, else the in-cluster service account. Then --context and
 * --namespace (falling back to the context's namespace, then "default").
 */
export function loadTarget(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const kc = new k8s.KubeConfig();
  let source: string;
  const read = (file: string) => {
    try {
      kc.loadFromFile(file);
    } catch (err) {
      throw new CliError(
        `cannot read kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}`,
        ExitCode.config,
        'Fix the file, or point --kubeconfig / KUBECONFIG at a valid one.',
      );
    }
  };
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) {
      throw new CliError(`kubeconfig ${options.kubeconfig} (from --kubeconfig) does not exist`, ExitCode.config, 'Pass the path of an existing kubeconfig file.');
    }
    read(options.kubeconfig);
    source = options.kubeconfig;
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter(Boolean);
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new CliError(
        `no kubeconfig found: KUBECONFIG=${env.KUBECONFIG} names no existing file`,
        ExitCode.config,
        'Start a cluster (e.g. `bash k8s/cluster/control-plane.sh up`, kind, minikube) or fix KUBECONFIG.',
      );
    }
    if (present.length === 1) read(present[0]);
    else {
      // Same merge rule as kubectl: the first file that sets a value wins.
      const merged = new k8s.KubeConfig();
      for (const file of present) {
        const one = new k8s.KubeConfig();
        try {
          one.loadFromFile(file);
        } catch (err) {
          throw new CliError(`cannot read kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}`, ExitCode.config);
        }
        merged.mergeConfig(one, true);
        if (!merged.currentContext) merged.setCurrentContext(one.currentContext);
      }
      kc.loadFromString(merged.exportConfig());
    }
    source = `KUBECONFIG=${env.KUBECONFIG}`;
  } else {
    const home = join(env.HOME || homedir(), '.kube', 'config');
    if (existsSync(home)) {
      read(home);
      source = home;
    } else if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
      kc.loadFromCluster();
      source = 'in-cluster service account';
    } else {
      throw new CliError(
        `no kubeconfig found: --kubeconfig not given, KUBECONFIG not set and ${home} does not exist`,
        ExitCode.config,
        'Start a cluster (e.g. `bash k8s/cluster/control-plane.sh up` then `eval "$(bash k8s/cluster/control-plane.sh env)"`), or pass --kubeconfig.',
      );
    }
  }

  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CliError(
        `context "${options.context}" not found in ${source}`,
        ExitCode.config,
        known.length ? `Known contexts: ${known.join(', ')}.` : 'That kubeconfig defines no contexts.',
      );
    }
    kc.setCurrentContext(options.context);
  }
  const contextName = kc.getCurrentContext();
  const context = kc.getContextObject(contextName);
  if (!contextName || !context) {
    throw new CliError(`${source} has no current context`, ExitCode.config, 'Pass --context NAME or run `kubectl config use-context NAME`.');
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new CliError(`context "${contextName}" in ${source} names no cluster with a server URL`, ExitCode.config);
  }
  return {
    kc,
    context: contextName,
    namespace: options.namespace ?? context.namespace ?? 'default',
    server: cluster.server,
    source,
  };
}
