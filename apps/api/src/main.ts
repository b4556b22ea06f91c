import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { bootOrExit, boundShutdown, loadConfigFromProcess, tuneRuntime } from '@stockroom/core';
import { prepareDatabase } from '@stockroom/database';
import { assertRedisReachable } from '@stockroom/redis';
import { createApiApp } from './app.factory';

async function main(): Promise<void> {
  const app = await bootOrExit('stockroom-api', async () => {
    const config = loadConfigFromProcess();
    tuneRuntime(config);
    await prepareDatabase(config);
    await assertRedisReachable(config.redis);
    const app = await createApiApp(config);
    await app.listen({ port: config.http.port, host: config.http.host });
    // Shutdown hooks drain in-flight requests; this bounds how long that may take.
    boundShutdown(new Logger('Shutdown'), config.http.shutdownTimeoutMs);
    return app;
  });
  app.getHttpAdapter().getInstance().log.info({ url: await app.getUrl(), docs: `${await app.getUrl()}/docs` }, 'stockroom api listening');
}

void main();
