/**
 * The built-in load generator: plain Node.js (fetch, no dependencies), run with `node -e` inside the
 * target service's own image when the chart ships no load-generator template. Open loop at a fixed
 * rate (RPS) for DURATION_SECONDS with at most CONNECTIONS requests in flight; a progress line every
 * 5 s, then one JSON line {"summary": {...}} that the CLI parses. Exits 1 if more than 1% failed.
 */
export const LOAD_SCRIPT = String.raw`
const target = process.env.TARGET_URL, rps = Number(process.env.RPS), seconds = Number(process.env.DURATION_SECONDS);
const maxInFlight = Number(process.env.CONNECTIONS || 10), timeoutMs = Number(process.env.REQUEST_TIMEOUT_MS || 5000);
if (!target || !(rps > 0) || !(seconds > 0)) { console.error('TARGET_URL, RPS and DURATION_SECONDS are required'); process.exit(2); }
const lat = [], codes = {}, servedBy = {};
let sent = 0, ok = 0, failed = 0, dropped = 0, inFlight = 0, window = 0;
const start = Date.now(), end = start + seconds * 1000;
console.log(JSON.stringify({ event: 'start', target, rps, durationSeconds: seconds, connections: maxInFlight }));
async function one() {
  inFlight++; sent++; const t = performance.now();
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    codes[res.status] = (codes[res.status] || 0) + 1;
    const by = res.headers.get('x-served-by'); if (by) servedBy[by] = (servedBy[by] || 0) + 1;
    if (res.status < 500) ok++; else failed++;
  } catch (e) { failed++; const k = e && e.name === 'TimeoutError' ? 'timeout' : 'error'; codes[k] = (codes[k] || 0) + 1; }
  finally { lat.push(performance.now() - t); inFlight--; window++; }
}
const pct = (p) => { if (!lat.length) return 0; const s = [...lat].sort((a, b) => a - b); return Math.round(s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))] * 10) / 10; };
const progress = setInterval(() => { console.log(JSON.stringify({ event: 'progress', elapsedSeconds: Math.round((Date.now() - start) / 1000), rps: window / 5, sent, ok, failed, dropped, inFlight })); window = 0; }, 5000);
let next = start;
(function tick() {
  const now = Date.now();
  if (now >= end) return finish();
  while (next <= now) { next += 1000 / rps; if (inFlight < maxInFlight) one(); else dropped++; }
  setTimeout(tick, Math.max(1, Math.min(50, next - Date.now())));
})();
async function finish() {
  const drainUntil = Date.now() + timeoutMs;
  while (inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  clearInterval(progress);
  const elapsed = (Date.now() - start) / 1000;
  const summary = { target, requested: { rps, durationSeconds: seconds }, sent, ok, failed, dropped, achievedRps: Math.round(sent / elapsed * 10) / 10,
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) }, statusCodes: codes, servedBy };
  console.log(JSON.stringify({ summary }));
  process.exit(failed > sent * 0.01 ? 1 : 0);
}
`;
