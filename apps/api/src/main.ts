import 'reflect-metadata';
import { bootOrExit, loadConfigFromProcess, tuneRuntime } from '@stockroom/core';
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
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => setTimeout(() => process.exit(1), config.http.shutdownTimeoutMs).unref());
    }
    return app;
  });
  app.getHttpAdapter().getInstance().log.info({ url: await app.getUrl(), docs: `${await app.getUrl()}/docs` }, 'stockroom api listening');
}

void main();
