import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Access, ACCESS_METADATA, attachPrincipal, Principal, PrincipalResolver, ROLES, RouteMemo } from '@stockroom/core';
import { ForbiddenError, NotSignedInError } from './auth.errors';
import { SessionPrincipals } from './session-principals';

/** A route that states nothing is not left open: it needs a signed-in user. */
const UNSTATED: Access = { public: false, roles: ROLES };

/**
 * The one access check, global: `@Public()` routes pass without a lookup; every other route
 * needs a live session (401 NOT_SIGNED_IN) whose role is allowed (403 FORBIDDEN). The session
 * store being unreachable is a 503 for those routes only.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  /** A route's requirement never changes once the app is built: read its metadata once. */
  private readonly requirements = new RouteMemo<Access>();

  constructor(
    private readonly reflector: Reflector,
    // The sessions, through the port's interface (a spec passes any resolver).
    @Inject(SessionPrincipals) private readonly principals: PrincipalResolver,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access = this.requirements.get(context, (handler, controller) => this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [handler, controller]) ?? UNSTATED);
    // Public routes (the catalogue's hot reads) pass at once: no lookup, no promise.
    if (access.public) return true;
    return this.authorize(context.switchToHttp().getRequest<FastifyRequest>(), access.roles).then(() => true);
  }

  /** The caller, if signed in with one of `roles`; else NotSignedInError / ForbiddenError (also for routes outside Nest, such as Bull Board). */
  async authorize(request: FastifyRequest, roles: readonly Principal['role'][]): Promise<Principal> {
    const principal = await this.principals.resolve(request);
    if (!principal) throw new NotSignedInError();
    if (!roles.includes(principal.role)) throw new ForbiddenError(roles);
    attachPrincipal(request, principal);
    return principal;
  }
}
