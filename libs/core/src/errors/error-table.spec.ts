import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every error code the API can answer with is in the README's table, with its status. */
describe('README: the error table', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Errors'), readme.indexOf('## Configuration'));
  const rows = table.split('\n').filter((line) => /^\| \d{3} \|/.test(line));

  it('lists each domain error\'s code under its status', () => {
    const found: Array<{ status: string; code: string }> = [];
    for (const file of [...sources(join(ROOT, 'libs')), ...sources(join(ROOT, 'apps'))]) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/readonly status = (\d{3});\s*readonly code = '([A-Z_]+)'/g)) found.push({ status: match[1], code: match[2] });
    }
    expect(found.length).toBeGreaterThan(20);
    for (const { status, code } of found) {
      expect({ code, row: rows.find((row) => row.includes(`\`${code}\``))?.slice(0, 7) }).toEqual({ code, row: `| ${status} |` });
    }
  });

  it('lists the codes the error filter gives by status, and its own', () => {
    const filter = readFileSync(join(ROOT, 'libs', 'core', 'src', 'errors', 'http-error.filter.ts'), 'utf8');
    const byStatus = [...filter.matchAll(/^\s+(\d{3}): '([A-Z_]+)',$/gm)].map((match) => ({ status: match[1], code: match[2] }));
    expect(byStatus.length).toBeGreaterThan(10);
    for (const { status, code } of [...byStatus, { status: '404', code: 'ROUTE_NOT_FOUND' }, { status: '500', code: 'INTERNAL_ERROR' }]) {
      expect({ code, row: rows.find((row) => row.includes(`\`${code}\``))?.slice(0, 7) }).toEqual({ code, row: `| ${status} |` });
    }
  });
});
