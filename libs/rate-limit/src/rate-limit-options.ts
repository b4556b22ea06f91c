/** The rate limiter's own settings (RateLimitModule.forRoot); each has the default of the configuration table. */
export interface RateLimitModuleOptions {
  /** Off: no throttler at all (the guard passes every request). Default true. */
  enabled?: boolean;
  /** The `default` throttler: requests per client (the user when signed in, else the address) per route per window. Default 1000 per 60 s. */
  limit?: number;
  ttlSeconds?: number;
  /** An optional short `burst` throttler (0: off). */
  burstLimit?: number;
  burstTtlMs?: number;
  /**
   * How long (ms) an instance may hand out quota it reserved from a busy client's counter without
   * asking Redis; 0 = every request (or every event-loop turn's run of them) asks. Default 10.
   */
  reservationMs?: number;
  /** Refuse requests (429) while Redis cannot count them; default lets them through. Sign-in routes always fail closed. */
  failClosed?: boolean;
  /** Sign-in and sign-up attempts per address / per account per window, then a block. */
  credentialIpLimit?: number;
  credentialAccountLimit?: number;
  credentialTtlSeconds?: number;
  credentialBlockSeconds?: number;
}

export type RateLimitOptions = Required<RateLimitModuleOptions>;

export const RATE_LIMIT_OPTIONS = Symbol('RATE_LIMIT_OPTIONS');

export function resolveRateLimitOptions(options: RateLimitModuleOptions): RateLimitOptions {
  return {
    enabled: options.enabled ?? true,
    limit: options.limit ?? 1_000,
    ttlSeconds: options.ttlSeconds ?? 60,
    burstLimit: options.burstLimit ?? 0,
    burstTtlMs: options.burstTtlMs ?? 1_000,
    reservationMs: options.reservationMs ?? 10,
    failClosed: options.failClosed ?? false,
    credentialIpLimit: options.credentialIpLimit ?? 20,
    credentialAccountLimit: options.credentialAccountLimit ?? 5,
    credentialTtlSeconds: options.credentialTtlSeconds ?? 900,
    credentialBlockSeconds: options.credentialBlockSeconds ?? 900,
  };
}
