/**
 * k8s CLI: live scaling demos on a cluster running the saas-starter chart.
 *   npm run k8s -- status | scale | load | bench | chaos | rollout | help
 * See k8s/cli/README.md.
 */
import { parseArgs, USAGE } from './cli/args';
import { CliError, ExitCode } from './cli/errors';
import { bench } from './commands/bench';
import { killDbReplica, killPod } from './commands/chaos';
import { load } from './commands/load';
import { rolloutRestart } from './commands/rollout';
import { scale } from './commands/scale';
import { statusLive, statusOnce } from './commands/status';
import { connect } from './kube/cluster';

const print = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const { global, command } = parseArgs(argv);
  if (command.name === 'help') {
    print(USAGE);
    return ExitCode.ok;
  }
  const cluster = connect(global);
  switch (command.name) {
    case 'status':
      if (command.once) await statusOnce(cluster, print);
      else await statusLive(cluster, (s) => process.stdout.write(s), command.watchSeconds);
      break;
    case 'scale':
      await scale(cluster, command, print);
      break;
    case 'load':
      await load(cluster, command, print);
      break;
    case 'bench':
      await bench(cluster, command, print);
      break;
    case 'kill-pod':
      await killPod(cluster, command, print);
      break;
    case 'kill-db-replica':
      await killDbReplica(cluster, command, print);
      break;
    case 'rollout-restart':
      await rolloutRestart(cluster, command, print);
      break;
  }
  return ExitCode.ok;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      if (err.hint) process.stderr.write(`hint:  ${err.hint}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`error: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(ExitCode.failed);
  },
);
