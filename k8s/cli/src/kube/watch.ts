import * as k8s from '@kubernetes/client-node';
import { CliError, ExitCode } from '../cli/errors';
import type { Cluster } from './cluster';

/**
 * Waits (for --wait) by watching, not polling: an informer lists the objects once, then follows the
 * watch; `check` runs on every change and resolves the wait when it returns a value.
 */
export async function watchUntil<T extends k8s.KubernetesObject, R>(
  c: Cluster,
  opts: {
    path: string;
    list: () => Promise<k8s.KubernetesListObject<T>>;
    labelSelector?: string;
    timeoutSeconds: number;
    check: (items: readonly T[]) => R | undefined;
    onTimeout: (items: readonly T[]) => string;
    onChange?: (items: readonly T[]) => void;
  },
): Promise<R> {
  const informer = k8s.makeInformer(c.kc, opts.path, opts.list, opts.labelSelector);
  let settle: (r: R) => void = () => undefined;
  let fail: (e: unknown) => void = () => undefined;
  const done = new Promise<R>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let finished = false;
  const evaluate = () => {
    if (finished) return;
    const items = informer.list();
    opts.onChange?.(items);
    let result: R | undefined;
    try {
      result = opts.check(items);
    } catch (err) {
      finished = true;
      fail(err);
      return;
    }
    if (result !== undefined) {
      finished = true;
      settle(result);
    }
  };
  for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, evaluate);
  informer.on('error', () => {
    // The watch dropped (e.g. a timeout on a long wait): start again, the cache resyncs from a list.
    if (!finished) setTimeout(() => !finished && informer.start().then(evaluate, () => undefined), 1000);
  });
  const timer = setTimeout(() => {
    if (finished) return;
    finished = true;
    fail(new CliError(opts.onTimeout(informer.list()), ExitCode.failed));
  }, opts.timeoutSeconds * 1000);
  try {
    await c.call('start a watch', () => informer.start());
    evaluate();
    return await done;
  } finally {
    finished = true;
    clearTimeout(timer);
    await informer.stop().catch(() => undefined);
  }
}
