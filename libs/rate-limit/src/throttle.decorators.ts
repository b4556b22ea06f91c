import { SetMetadata } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const CREDENTIAL_THROTTLE = 'stockroom:credential-throttle';
export const CREDENTIAL_IP_THROTTLER = 'auth-ip';
export const CREDENTIAL_ACCOUNT_THROTTLER = 'auth-account';

/** Names the account an attempt is aimed at (the email in a sign-in body); undefined when there is none. */
export type AccountOf = (request: FastifyRequest) => string | undefined;

/**
 * Brute-force limits for a route that checks credentials: the strict `auth-ip` and
 * `auth-account` throttlers apply to it (and only to routes marked so), each with a block.
 */
export const CredentialThrottle = (accountOf: AccountOf): MethodDecorator => SetMetadata(CREDENTIAL_THROTTLE, accountOf);

export function accountOfRoute(context: ExecutionContext): AccountOf | undefined {
  return Reflect.getMetadata(CREDENTIAL_THROTTLE, context.getHandler()) as AccountOf | undefined;
}

export function isCredentialRoute(handler: object): boolean {
  return Reflect.getMetadata(CREDENTIAL_THROTTLE, handler) !== undefined;
}

/** Skips every named throttler (`@SkipThrottle()` alone only skips `default`): probes, metrics. */
export const NeverThrottle = (): MethodDecorator & ClassDecorator =>
  SkipThrottle({ default: true, burst: true, [CREDENTIAL_IP_THROTTLER]: true, [CREDENTIAL_ACCOUNT_THROTTLER]: true });
