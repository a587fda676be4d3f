/**
 * Runs DEMO.md's walkthroughs on the local node and writes what each command printed into the document.
 *   npm run k8s:demo -- record [--from N] [--only N]     (steps counted from 1, in document order)
 *   npm run k8s:demo -- check                           exit 1 when a command has no output recorded from it
 * Commands run in order, each in its own `bash -c` from the repository root, with KUBECONFIG pointing at
 * the local node and its tools first on PATH — the same commands a person types after `export KUBECONFIG=...`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyRecordings, parseDoc, type Recording, staleSteps } from './recorded-doc';

const ROOT = resolve(__dirname, '../..');
const DOC = join(ROOT, 'k8s/demo/DEMO.md');
const STEP_TIMEOUT_MS = 15 * 60_000;

// npm's two-line banner ("> saas-starter@0.1.0 k8s" / "> bash k8s/cli/k8s.sh ...") and terminal colours are left out.
const clean = (output: string) =>
  output
    // eslint-disable-next-line no-control-regex -- terminal colour codes start with ESC
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
    .split('\n')
    .filter((line, i, all) => !/^> saas-starter@/.test(line) && !(/^> /.test(line) && /^> saas-starter@/.test(all[i - 1] ?? '')))
    .join('\n')
    .replace(/^\n+/, '');

function run(command: string): Promise<Recording> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      cwd: ROOT,
      env: {
        ...process.env,
        KUBECONFIG: join(ROOT, '.local/k8s-node/kubeconfig'),
        PATH: `${join(ROOT, '.local/tools/bin')}:${process.env.PATH}`,
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), STEP_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ output: clean(output), exitCode: code ?? 1, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const text = readFileSync(DOC, 'utf8');
  const steps = parseDoc(text);
  if (command === 'check') {
    const stale = staleSteps(text);
    for (const s of stale) process.stderr.write(`DEMO.md line ${s.line + 1}: no output recorded from this command: ${s.command.split('\n')[0]}\n`);
    return stale.length === 0 ? 0 : 1;
  }
  if (command !== 'record') {
    process.stderr.write('usage: npm run k8s:demo -- record [--from N] [--only N] | check\n');
    return 2;
  }
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    if (i === -1) return undefined;
    const n = Number(rest[i + 1]);
    if (!Number.isInteger(n) || n < 1 || n > steps.length) throw new Error(`${name} takes a step number from 1 to ${steps.length}`);
    return n;
  };
  const only = flag('--only');
  const from = only ?? flag('--from') ?? 1;
  const to = only ?? steps.length;
  for (let index = from - 1; index < to; index++) {
    const step = steps[index];
    process.stdout.write(`[${index + 1}/${steps.length}] $ ${step.command.split('\n').join('\n    ')}\n`);
    const recording = await run(step.command);
    process.stdout.write(`${recording.output.split('\n').map((l) => `    ${l}`).join('\n')}\n    (exit ${recording.exitCode}, ${recording.seconds.toFixed(1)} s)\n`);
    // Written after every step, so an interrupted run keeps what it recorded.
    writeFileSync(DOC, applyRecordings(readFileSync(DOC, 'utf8'), new Map([[index, recording]])));
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
