#!/usr/bin/env node
/**
 * The top of a V8 CPU profile (`node --cpu-prof`), as text: self time by function and by package, so a
 * profile can be read and quoted without a flame-graph viewer.
 *   node tools/bench/profile-top.mjs <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-top.mjs <file.cpuprofile> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const total = profile.samples.length;
const selfSamples = new Map();
for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);

/** `node_modules/<pkg>` (scoped too), `node:internal`, or the project's own code. */
function packageOf(url) {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node core';
  const match = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (match) return match[match.length - 1].replace('node_modules/', '');
  return url.includes('/dist/') ? 'project bundle' : url;
}

/** What a request's CPU goes to, by concern (first match wins); everything else is "other". */
const CONCERNS = [
  ['socket writes (syscalls)', (f, u) => /^(writev|writeUtf8String|writeBuffer|writeString|writevGeneric|writeGeneric|handleWriteReq|createWriteWrap)$/.test(f)],
  ['response headers (set, validate, store)', (f, u) => /^(Reply\.headers?|checkInvalidHeaderChar|checkIsHttpToken|processHeader|_storeHeader|setHeader|validateHeader.*)$/.test(f) || /^RegExp: (\^\[\\\^_`|\[\^\\t)/.test(f)],
  ['async context (AsyncLocalStorage promise hooks)', (f, u) => /async_hooks/.test(u) || /^(executionAsyncResource|emitInitScript|promiseInitHook)$/.test(f)],
  ['metrics (prom-client)', (f, u) => /prom-client/.test(u)],
  ['logging (pino)', (f, u) => /pino|sonic-boom/.test(u)],
  ['ETag and ids (crypto)', (f, u) => /crypto/.test(u)],
  ['garbage collector', (f) => f === '(garbage collector)'],
  ['module loading (start-up)', (f, u) => /modules\/(cjs|esm|package_json)|^(internalModuleStat|readFileUtf8|wrapSafe)$/.test(f + ' ' + u) || /^(wrapSafe|internalModuleStat|readFileUtf8)$/.test(f)],
  ['fastify + find-my-way', (f, u) => /node_modules\/(fastify|find-my-way|avvio|light-my-request)\//.test(u)],
  ['nest', (f, u) => /@nestjs\//.test(u)],
  ['ioredis', (f, u) => /ioredis|redis-parser/.test(u)],
  ['the service and libs (bundle)', (f, u) => /\/dist\//.test(u)],
  ['node http and streams', (f, u) => u.startsWith('node:')],
];
const byConcern = new Map();
const byFunction = new Map();
const byPackage = new Map();
let idle = 0;
for (const node of profile.nodes) {
  const samples = selfSamples.get(node.id) ?? 0;
  if (!samples) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') {
    idle += samples;
    continue;
  }
  const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + samples);
  const pkg = ['(garbage collector)', '(program)'].includes(functionName) ? functionName : packageOf(url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + samples);
  const concern = CONCERNS.find(([, test]) => test(functionName, url ?? ''))?.[0] ?? 'other';
  byConcern.set(concern, (byConcern.get(concern) ?? 0) + samples);
}
const busy = total - idle;
const share = (samples) => `${((samples / busy) * 100).toFixed(1)} %`;
console.log(`${file}: ${total} samples, ${((idle / total) * 100).toFixed(0)} % idle; shares below are of the busy samples`);
const print = (title, map) => {
  console.log(`\n| ${title} | self |`);
  console.log('|---|---:|');
  for (const [name, samples] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`| ${name} | ${share(samples)} |`);
};
print('concern', byConcern);
print('package', byPackage);
print('function', byFunction);
