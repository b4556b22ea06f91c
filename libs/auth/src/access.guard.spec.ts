import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Principal, PrincipalResolver, Public, Roles } from '@stockroom/core';
import { AccessGuard } from './access.guard';
import { ForbiddenError, NotSignedInError } from './auth.errors';

@Controller()
class Routes {
  @Get() @Public() open(): void {}
  @Get() @Roles('admin') adminOnly(): void {}
  @Get() unstated(): void {}
}

function contextFor(handler: keyof Routes): ExecutionContext {
  const request = {};
  return {
    getType: () => 'http',
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

function guardFor(principal: Principal | null): { guard: AccessGuard; lookups: () => number } {
  let lookups = 0;
  const resolver: PrincipalResolver = {
    resolve: async () => {
      lookups++;
      return principal;
    },
    mayBeSignedIn: () => true,
  };
  return { guard: new AccessGuard(new Reflector(), resolver), lookups: () => lookups };
}

describe('AccessGuard', () => {
  it('lets anyone through a public route at once: no session lookup, no promise', () => {
    const { guard, lookups } = guardFor(null);
    expect(guard.canActivate(contextFor('open'))).toBe(true);
    expect(lookups()).toBe(0);
  });

  it('treats a route that states nothing as needing a signed-in user', async () => {
    await expect(guardFor(null).guard.canActivate(contextFor('unstated'))).rejects.toBeInstanceOf(NotSignedInError);
    await expect(guardFor({ userId: 1, role: 'customer' }).guard.canActivate(contextFor('unstated'))).resolves.toBe(true);
  });

  it('refuses other roles with 403 and missing sessions with 401', async () => {
    await expect(guardFor(null).guard.canActivate(contextFor('adminOnly'))).rejects.toBeInstanceOf(NotSignedInError);
    await expect(guardFor({ userId: 1, role: 'staff' }).guard.canActivate(contextFor('adminOnly'))).rejects.toBeInstanceOf(ForbiddenError);
    await expect(guardFor({ userId: 1, role: 'admin' }).guard.canActivate(contextFor('adminOnly'))).resolves.toBe(true);
  });
});
