import { ensureTools } from './tools';

/** Jest globalSetup: build (or reuse) the pinned helm and kubecheck before the suites start. */
export default function globalSetup(): void {
  const started = Date.now();
  const { built } = ensureTools();
  if (built) process.stdout.write(`\nchart tests: built helm + kubecheck in ${Math.round((Date.now() - started) / 1000)}s\n`);
}
