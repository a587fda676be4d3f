import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const lib = resolve(__dirname, '../..');
const GENERATED = ['openapi', join('src', 'generated')];

/** Files under the generated folders that differ between two trees (missing on either side included). */
function drift(expected: string, actual: string): string[] {
  const files = (root: string) =>
    GENERATED.flatMap((dir) => {
      try {
        return readdirSync(join(root, dir)).map((name) => join(dir, name));
      } catch {
        return [];
      }
    });
  const all = [...new Set([...files(expected), ...files(actual)])].sort();
  const read = (root: string, file: string) => {
    try {
      return readFileSync(join(root, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  return all.filter((file) => read(expected, file) !== read(actual, file));
}

describe('the generated client matches the services (drift)', () => {
  let fresh: string;

  beforeAll(async () => {
    fresh = mkdtempSync(join(tmpdir(), 'api-client-'));
    await new Promise<void>((done, fail) =>
      execFile(process.execPath, [join(lib, 'scripts/generate.mjs'), fresh], { cwd: resolve(lib, '../..'), timeout: 240_000 }, (error, _stdout, stderr) =>
        error ? fail(new Error(`generate.mjs failed: ${stderr || error.message}`)) : done(),
      ),
    );
  }, 300_000);

  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('regenerated documents and types equal the committed ones', () => {
    const differing = drift(lib, fresh);
    if (differing.length) {
      throw new Error(`libs/api-client is out of date (${differing.join(', ')}): run \`npx nx run api-client:generate\` and commit the result`);
    }
    expect(readdirSync(join(fresh, 'openapi')).sort()).toEqual(['auth.json', 'catalog.json', 'media.json', 'profile.json']);
  });

  it('reports a changed, a missing and an extra file as drift', () => {
    const copy = mkdtempSync(join(tmpdir(), 'api-client-copy-'));
    try {
      for (const dir of GENERATED) cpSync(join(fresh, dir), join(copy, dir), { recursive: true });
      const document = JSON.parse(readFileSync(join(copy, 'openapi', 'catalog.json'), 'utf8'));
      delete document.paths['/catalog/products/{id}'].get.responses['404'];
      writeFileSync(join(copy, 'openapi', 'catalog.json'), JSON.stringify(document, null, 2));
      rmSync(join(copy, 'src', 'generated', 'media.ts'));
      writeFileSync(join(copy, 'src', 'generated', 'extra.ts'), 'export {};\n');
      expect(drift(fresh, copy).map((file) => relative('.', file))).toEqual([
        join('openapi', 'catalog.json'),
        join('src', 'generated', 'extra.ts'),
        join('src', 'generated', 'media.ts'),
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
