import { startStack } from '@saas/testing';
async function main() {
  const extra = process.env.SCRATCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SCRATCH_NODE_OPTIONS } : {};
  const stack = await startStack({ name: 'scratch_mem', services: ['catalog'], env: extra });
  await new Promise((r) => setTimeout(r, Number(process.env.SCRATCH_WAIT ?? 3000)));
  const text = await (await fetch(`${stack.urls.catalog}/metrics`)).text();
  console.log(text.split('\n').filter((l) => /^(process_resident|nodejs_heap_size|nodejs_heap_space_size_total_bytes)/.test(l)).map((l) => l.replace(/\{service="catalog"(,)?/, '{')).join('\n'));
  console.log('readyMs', stack.readyMs);
  await stack.stop();
  process.exit(0);
}
main();
