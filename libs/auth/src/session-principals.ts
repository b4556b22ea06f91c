import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Principal, PrincipalResolver } from '@stockroom/core';
import { SessionStore } from './session.store';
import { askSessionStore } from './auth.errors';
import { sessionIdOf } from './session-id';

const LOOKUP = Symbol('stockroom.sessionLookup');
type WithLookup = FastifyRequest & { [LOOKUP]?: Promise<Principal | null> };

/** The caller of a request from its session: one Redis call (which also slides the session), at most once per request. */
@Injectable()
export class SessionPrincipals extends PrincipalResolver {
  constructor(private readonly sessions: SessionStore) {
    super();
  }

  mayBeSignedIn(request: FastifyRequest): boolean {
    return sessionIdOf(request) !== undefined;
  }

  resolve(request: FastifyRequest): Promise<Principal | null> {
    const memo = request as WithLookup;
    memo[LOOKUP] ??= this.lookUp(sessionIdOf(request));
    return memo[LOOKUP];
  }

  private async lookUp(sessionId: string | undefined): Promise<Principal | null> {
    if (!sessionId) return null;
    const session = await askSessionStore(() => this.sessions.touch(sessionId));
    return session ? { userId: session.userId, role: session.role } : null;
  }
}
