/**
 * k8s/demo/DEMO.md shows what its commands printed on a real run (npm run k8s:demo -- record): every
 * command has an output block recorded from exactly that command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyRecordings, commandHash, parseDoc, staleSteps, trimOutput } from '../recorded-doc';

const DOC = readFileSync(join(__dirname, '..', 'DEMO.md'), 'utf8');

describe('DEMO.md', () => {
  it('has recorded walkthroughs', () => {
    expect(parseDoc(DOC).length).toBeGreaterThanOrEqual(10);
  });

  it('has, after every command, the output recorded from that very command (edit a command → re-record)', () => {
    expect(staleSteps(DOC).map((s) => `line ${s.line + 1}: ${s.command.split('\n')[0]}`)).toEqual([]);
  });
});

describe('the recorded-document format', () => {
  const doc = ['# t', '```bash record', 'echo hi', '```', '', '```text recorded=000000000000', 'old', '```', 'prose', '```bash record', 'false', '```', ''].join('\n');

  it('finds commands and their outputs, and flags edited or unrecorded ones', () => {
    const steps = parseDoc(doc);
    expect(steps.map((s) => s.command)).toEqual(['echo hi', 'false']);
    expect(steps[0].output).toMatchObject({ text: 'old', hash: '000000000000' });
    expect(steps[1].output).toBeUndefined();
    expect(staleSteps(doc)).toHaveLength(2); // a wrong hash and a missing block
  });

  it('writes recordings in place (replacing or inserting), tagged with the command hash and exit status', () => {
    const updated = applyRecordings(
      doc,
      new Map([
        [0, { output: 'hi\n', exitCode: 0, seconds: 0.2 }],
        [1, { output: '', exitCode: 1, seconds: 0 }],
      ]),
    );
    expect(staleSteps(updated)).toEqual([]);
    expect(updated).toContain(`\`\`\`text recorded=${commandHash('echo hi')} seconds=0\nhi\n\`\`\``);
    expect(updated).toContain(`\`\`\`text recorded=${commandHash('false')} exit=1 seconds=0\n\n\`\`\``);
    expect(updated).not.toContain('old');
    expect(parseDoc(updated)[1].output?.exitCode).toBe(1);
  });

  it('keeps the head and tail of long outputs', () => {
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const trimmed = trimOutput(long, 10).split('\n');
    expect(trimmed).toHaveLength(10);
    expect(trimmed[0]).toBe('line 0');
    expect(trimmed[5]).toBe('… 91 lines left out …');
    expect(trimmed[9]).toBe('line 99');
  });

  it('rejects an unclosed block (bad input)', () => {
    expect(() => parseDoc('```bash record\necho')).toThrow(/unclosed code block at line 1/);
  });
});
