/**
 * Every failure the CLI reports is a CliError: one line saying what is wrong, one saying what to do,
 * and an exit code a script can tell apart.
 */
export const ExitCode = {
  ok: 0,
  failed: 1, // the operation ran and did not reach its goal (e.g. --wait timed out)
  usage: 2, // bad input: unknown command/service/flag, negative replicas, bad duration
  config: 3, // kubeconfig missing/unreadable, unknown context
  unreachable: 4, // no cluster answers at the kubeconfig's server, TLS or credentials rejected
  notInstalled: 5, // the chart (release) or the service is not in this namespace
  forbidden: 6, // RBAC denied the request
  refused: 7, // the CLI refused on purpose (an HPA owns the Deployment and --force was not given)
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, hint = 'Run `npm run k8s -- help` for usage.') =>
  new CliError(message, ExitCode.usage, hint);
