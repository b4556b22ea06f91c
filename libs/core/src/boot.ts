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
