/**
 * DEMO.md as a recorded document: every ```bash record block is a command a person types, and the
 * ```text block after it is what that command printed when `npm run k8s:demo -- record` last ran it on
 * the local node. Each output block carries the hash of the command it came from, so a command edited
 * without re-recording is caught (demo-doc.spec.ts). Pure parsing and rendering; no cluster access.
 */
import { createHash } from 'node:crypto';

export const COMMAND_FENCE = '```bash record';
const OUTPUT_FENCE = /^```text recorded=([0-9a-f]{12})(?: exit=(\d+))?(?: seconds=(\d+))?$/;

export interface Step {
  /** Index of the command fence's line. */
  line: number;
  command: string;
  /** The recorded output block after the command, if any (line range, inclusive of fences). */
  output?: { start: number; end: number; hash: string; exitCode: number; text: string };
}

export const commandHash = (command: string) => createHash('sha256').update(command.trim()).digest('hex').slice(0, 12);

function closingFence(lines: string[], from: number): number {
  for (let i = from + 1; i < lines.length; i++) if (lines[i] === '```') return i;
  throw new Error(`unclosed code block at line ${from + 1}`);
}

export function parseDoc(text: string): Step[] {
  const lines = text.split('\n');
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== COMMAND_FENCE) continue;
    const end = closingFence(lines, i);
    const step: Step = { line: i, command: lines.slice(i + 1, end).join('\n') };
    let next = end + 1;
    while (next < lines.length && lines[next].trim() === '') next++;
    const fence = OUTPUT_FENCE.exec(lines[next] ?? '');
    if (fence) {
      const close = closingFence(lines, next);
      step.output = { start: next, end: close, hash: fence[1], exitCode: Number(fence[2] ?? 0), text: lines.slice(next + 1, close).join('\n') };
    }
    steps.push(step);
    i = step.output?.end ?? end;
  }
  return steps;
}

/** Steps whose output is missing or was recorded from a different command. */
export function staleSteps(text: string): Step[] {
  return parseDoc(text).filter((s) => !s.output || s.output.hash !== commandHash(s.command));
}

export interface Recording {
  output: string;
  exitCode: number;
  seconds: number;
}

/** Long outputs keep their head and tail. */
export function trimOutput(output: string, maxLines = 60): string {
  const lines = output.replace(/\s+$/, '').split('\n');
  if (lines.length <= maxLines) return lines.join('\n');
  const head = Math.ceil(maxLines / 2);
  const tail = maxLines - head - 1;
  return [...lines.slice(0, head), `… ${lines.length - head - tail} lines left out …`, ...lines.slice(lines.length - tail)].join('\n');
}

/** Writes each step's recording (by step index) after its command, replacing what was there. */
export function applyRecordings(text: string, recordings: Map<number, Recording>): string {
  const lines = text.split('\n');
  const steps = parseDoc(text);
  // From the end, so earlier line numbers stay valid.
  for (let index = steps.length - 1; index >= 0; index--) {
    const recording = recordings.get(index);
    if (!recording) continue;
    const step = steps[index];
    const exit = recording.exitCode === 0 ? '' : ` exit=${recording.exitCode}`;
    const block = [`\`\`\`text recorded=${commandHash(step.command)}${exit} seconds=${Math.round(recording.seconds)}`, ...trimOutput(recording.output).split('\n'), '```'];
    const commandEnd = closingFence(lines, step.line);
    if (step.output) lines.splice(step.output.start, step.output.end - step.output.start + 1, ...block);
    else lines.splice(commandEnd + 1, 0, ...block);
  }
  return lines.join('\n');
}
