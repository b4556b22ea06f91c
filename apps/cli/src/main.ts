import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { bootOrExit, loadConfigFromProcess } from '@stockroom/core';
import { buildDataSourceOptions, prepareDatabase, runMigrationsExclusively } from '@stockroom/database';
// The seed command is the one `npm run seed` runs from sources.
import { seedCommand } from '../../api/src/cli/seed';

const USAGE = `usage: node dist/apps/cli/main.js <command>
  migrate              apply pending migrations (under the same lock the API takes at boot)
  revert               undo the last applied migration
  seed [--count <n>]   make sure sample products SR-000001..SR-<n> exist (default 10000)
Configuration comes from the environment, as for the API.`;

/**
 * The operator's commands, built into the image beside the apps (`dist/apps/cli/main.js`): the
 * image has no sources and no ts-node, so `npm run migration:*` and `npm run seed` cannot run there.
 */
async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'seed') return seedCommand(args);
  if (command !== 'migrate' && command !== 'revert') {
    process.stderr.write(`${command ? `unknown command: ${command}\n` : ''}${USAGE}\n`);
    process.exit(2);
  }
  await bootOrExit(`stockroom ${command}`, async () => {
    const config = loadConfigFromProcess();
    await prepareDatabase(config);
    // Migrations need no entities: they are plain SQL.
    const dataSource = await new DataSource(buildDataSourceOptions(config, [])).initialize();
    try {
      if (command === 'migrate') {
        const applied = await runMigrationsExclusively(dataSource);
        process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'nothing to apply\n');
      } else {
        await dataSource.undoLastMigration({ transaction: 'each' });
        process.stdout.write('reverted the last migration\n');
      }
    } finally {
      await dataSource.destroy();
    }
  });
}

void main();
