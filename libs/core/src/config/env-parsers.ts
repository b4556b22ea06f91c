/** Small, typed readers for environment variables; each failure becomes one line naming the variable. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface HostPort {
  host: string;
  port: number;
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  private fail<T>(name: string, expected: string, got: string, fallback: T): T {
    this.problems.push(`${name}: expected ${expected}, got ${JSON.stringify(got)}`);
    return fallback;
  }

  string(name: string, fallback: string, options: { pattern?: RegExp; hint?: string } = {}): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (options.pattern && !options.pattern.test(value)) {
      return this.fail(name, options.hint ?? `to match ${options.pattern}`, value, fallback);
    }
    return value;
  }

  /** Secrets keep their surrounding spaces and may be empty. */
  secret(name: string, fallback: string): string {
    return this.env[name] ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      return this.fail(name, `an integer from ${min} to ${max}`, value, fallback);
    }
    return parsed;
  }

  float(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      return this.fail(name, `a number from ${min} to ${max}`, value, fallback);
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    return this.fail(name, 'true or false', value, fallback);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      return this.fail(name, `one of ${allowed.join(', ')}`, value, fallback);
    }
    return value as T;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      return this.fail(name, `a URL starting with ${protocols.join(' or ')}//`, value, fallback);
    }
  }

  /** `host:port,host:port`; empty means "not configured". */
  hostList(name: string): HostPort[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const entries = value.split(',').map((part) => part.trim());
    const parsed = entries.map(parseHostPort);
    if (parsed.some((entry) => entry === undefined)) {
      return this.fail(name, 'a comma-separated list of host:port', value, []);
    }
    return parsed as HostPort[];
  }
}

function parseHostPort(entry: string): HostPort | undefined {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
