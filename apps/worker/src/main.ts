import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { bootOrExit, boundShutdown, loadConfigFromProcess, tuneRuntime } from '@stockroom/core';
import { prepareDatabase } from '@stockroom/database';
import { assertRedisReachable } from '@stockroom/redis';
import { createWorkerApp } from './worker.factory';

async function main(): Promise<void> {
  await bootOrExit('stockroom-worker', async () => {
    const config = loadConfigFromProcess();
    tuneRuntime(config);
    await prepareDatabase(config);
    await assertRedisReachable(config.redis);
    const app = await createWorkerApp(config);
    boundShutdown(new Logger('Shutdown'), config.http.shutdownTimeoutMs);
    return app;
  });
  new Logger('Worker').log('stockroom worker ready');
}

void main();
