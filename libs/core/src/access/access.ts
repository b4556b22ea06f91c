import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

export type Role = 'admin' | 'staff' | 'customer';
export const ROLES: readonly Role[] = ['admin', 'staff', 'customer'];
/** Who runs the shop: product writes, inventory, stats, cache and queue admin. */
export const STAFF_ROLES: readonly Role[] = ['admin', 'staff'];

/** The signed-in caller of a request. */
export interface Principal {
  userId: number;
  role: Role;
}

/** What a route requires; stated on every route (a route that states nothing needs a signed-in user). */
export type Access = { public: true } | { public: false; roles: readonly Role[] };

export const ACCESS_METADATA = 'stockroom:access';
/** The same requirement in the OpenAPI document, where openapi.ts turns it into `security`. */
export const ACCESS_EXTENSION = 'x-access';

function access(requirement: Access): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ACCESS_METADATA, requirement), ApiExtension(ACCESS_EXTENSION, requirement));
}

/** Anyone, signed in or not. */
export const Public = (): MethodDecorator & ClassDecorator => access({ public: true });

/** A signed-in user holding one of these roles (401 without a session, 403 with another role). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => access({ public: false, roles });

/** Any signed-in user. */
export const SignedIn = (): MethodDecorator & ClassDecorator => access({ public: false, roles: ROLES });

/**
 * Finds the signed-in caller of a request (implemented by the auth lib). Resolution is
 * memoised per request, so the access guard and the throttler's tracker share one lookup.
 * Rejects when the session store cannot be asked.
 */
export abstract class PrincipalResolver {
  abstract resolve(request: FastifyRequest): Promise<Principal | null>;
  /** Whether the request carries a session at all (no lookup): false means `resolve` would answer null. */
  abstract mayBeSignedIn(request: FastifyRequest): boolean;
}

const PRINCIPAL = Symbol('stockroom.principal');
type WithPrincipal = FastifyRequest & { [PRINCIPAL]?: Principal };

export function attachPrincipal(request: FastifyRequest, principal: Principal): void {
  (request as WithPrincipal)[PRINCIPAL] = principal;
}

/** The principal the access guard let through (undefined on public routes), for code that has the request. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return (request as WithPrincipal)[PRINCIPAL];
}

/** The principal the access guard let through; handlers of public routes get undefined. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined => {
  return principalOf(context.switchToHttp().getRequest<FastifyRequest>());
});
