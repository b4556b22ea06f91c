import { ConfigError } from './config/app-config';
import { DependencyUnavailableError } from './errors/domain-error';

/**
 * Runs a boot step; a configuration problem or an unreachable dependency prints plain lines
 * (one per problem, no stack trace) and exits non-zero instead of retrying forever.
 */
export async function bootOrExit<T>(app: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${app}: invalid configuration\n${error.problems.map((p) => `  ${p}\n`).join('')}`);
    } else if (error instanceof DependencyUnavailableError) {
      process.stderr.write(`${app}: ${error.message}\n`);
    } else {
      process.stderr.write(`${app}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  }
}

/**
 * What a process adds to Nest's shutdown hooks on SIGTERM or SIGINT (Nest closes the app, then
 * raises the signal again): one line saying the stop has begun, so an operator can tell a
 * deliberate stop from a crash, and a bound on it: still closing after `timeoutMs`, it says so
 * and exits with 1.
 */
export function boundShutdown(logger: { log(message: string): void; error(message: string): void }, timeoutMs: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`shutdown: ${signal} received; finishing what is in flight, then closing (at most ${timeoutMs} ms)`);
      setTimeout(() => {
        logger.error(`shutdown: still closing after ${timeoutMs} ms; exiting with 1`);
        process.exit(1);
      }, timeoutMs).unref();
    });
  }
}
