// The webpack bundles hold no .lua files: copy every lib's scripts to dist/apps/<app>/lua/<lib>/,
// where readLuaScript looks for them at run time.
const { cpSync, mkdirSync, readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
for (const app of ['api', 'worker', 'cli']) {
  const target = join(root, 'dist', 'apps', app);
  if (!existsSync(target)) continue;
  for (const lib of readdirSync(join(root, 'libs'))) {
    const source = join(root, 'libs', lib, 'src');
    for (const file of readdirSync(source).filter((name) => name.endsWith('.lua'))) {
      mkdirSync(join(target, 'lua', lib), { recursive: true });
      cpSync(join(source, file), join(target, 'lua', lib, file));
    }
  }
}
