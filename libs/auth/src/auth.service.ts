import { Injectable } from '@nestjs/common';
import { PasswordHasher } from './password-hasher';
import { UserRepository } from './user.repository';
import { Session, SessionStore } from './session.store';
import { InvalidCredentialsError, NotSignedInError, SessionStoreUnavailableError } from './auth.errors';
import type { User } from './user.entity';

/** Runs a session-store call; Redis being away is a 503 for sign-in, never a 500. */
async function sessionStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    throw new SessionStoreUnavailableError();
  }
}

@Injectable()
export class AuthService {
  /** Compared against when the email is unknown, so both answers take as long; made on first use. */
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionStore,
  ) {}

  register(email: string, password: string): Promise<User> {
    return this.hasher.hash(password).then((hash) => this.users.create(email, hash, 'customer'));
  }

  /** A fresh session id at every sign-in; a session the client still presents is revoked (no fixation). */
  async login(email: string, password: string, previousSessionId?: string): Promise<{ sessionId: string; session: Session; user: User }> {
    const user = await this.users.findByEmail(email);
    this.decoyHash ??= this.hasher.hash('decoy password, never matches');
    const valid = await this.hasher.verify(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !valid) throw new InvalidCredentialsError();
    if (previousSessionId) await sessionStore(() => this.sessions.revoke(previousSessionId));
    const { sessionId, session } = await sessionStore(() => this.sessions.create(user.id, user.role));
    return { sessionId, session, user };
  }

  async logout(sessionId: string | undefined): Promise<void> {
    if (sessionId) await sessionStore(() => this.sessions.revoke(sessionId));
  }

  /** The signed-in user, or NotSignedInError. */
  async whoIs(sessionId: string | undefined): Promise<{ user: User; session: Session }> {
    if (!sessionId) throw new NotSignedInError();
    const session = await sessionStore(() => this.sessions.touch(sessionId));
    const user = session ? await this.users.findById(session.userId) : null;
    if (!session || !user) throw new NotSignedInError();
    return { user, session };
  }

  revokeAll(userId: number): Promise<number> {
    return sessionStore(() => this.sessions.revokeAll(userId));
  }
}
