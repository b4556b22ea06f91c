import { existsSync } from 'node:fs';
import { AppConfig, loadConfig } from './app-config';

/** Reads `.env` (when present, without overriding the real environment) and validates the result. */
export function loadConfigFromProcess(envFile = '.env'): AppConfig {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return loadConfig(process.env);
}
