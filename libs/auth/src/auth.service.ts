import { Injectable } from '@nestjs/common';
import type { Principal, Role } from '@stockroom/core';
import { PasswordHasher } from './password-hasher';
import { UserRepository } from './user.repository';
import { Session, SessionStore } from './session.store';
import { askSessionStore, InvalidCredentialsError, NotSignedInError, OwnRoleError, UserNotFoundError, WrongPasswordError } from './auth.errors';
import type { User } from './user.entity';

export interface SignedInSession {
  sessionId: string;
  session: Session;
  user: User;
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
  async login(email: string, password: string, previousSessionId?: string): Promise<SignedInSession> {
    // Before the password is judged: with the store away, a right password would be 503 and a
    // wrong one 401, an oracle that no limit (its counts live in the same Redis) would slow down.
    await askSessionStore(() => this.sessions.ensureAvailable());
    const user = await this.users.findByEmail(email);
    this.decoyHash ??= this.hasher.hash('decoy password, never matches');
    const valid = await this.hasher.verify(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !valid) throw new InvalidCredentialsError();
    if (previousSessionId) await askSessionStore(() => this.sessions.revoke(previousSessionId));
    return this.startSession(user);
  }

  async logout(sessionId: string | undefined): Promise<void> {
    if (sessionId) await askSessionStore(() => this.sessions.revoke(sessionId));
  }

  /** The account behind a live session (gone when it was deleted since). */
  async userOf(principal: Principal): Promise<User> {
    const user = await this.users.findById(principal.userId);
    if (!user) throw new NotSignedInError();
    return user;
  }

  /** A new password ends every session of the user, this one included, and starts a fresh one. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<SignedInSession> {
    await askSessionStore(() => this.sessions.ensureAvailable());
    const user = await this.userOf(principal);
    if (!(await this.hasher.verify(currentPassword, user.passwordHash))) throw new WrongPasswordError();
    const hash = await this.hasher.hash(newPassword);
    await this.whileSignedOut(user.id, () => this.users.setPasswordHash(user.id, hash));
    user.passwordHash = hash;
    return this.startSession(user);
  }

  /** Sessions carry the role they were opened with, so a role change ends them. */
  async setRole(actor: Principal, userId: number, role: Role): Promise<User> {
    if (actor.userId === userId) throw new OwnRoleError();
    if (!(await this.whileSignedOut(userId, () => this.users.setRole(userId, role)))) throw new UserNotFoundError(userId);
    return (await this.users.findById(userId)) ?? Promise.reject(new UserNotFoundError(userId));
  }

  async revokeAll(userId: number): Promise<number> {
    return askSessionStore(() => this.sessions.revokeAll(userId));
  }

  async revokeAllOf(userId: number): Promise<number> {
    if (!(await this.users.findById(userId))) throw new UserNotFoundError(userId);
    return this.revokeAll(userId);
  }

  /**
   * Revokes before the change (Redis away: 503 and nothing changed) and again after it, so no
   * session opened with the old password or role outlives the change.
   */
  private async whileSignedOut<T>(userId: number, change: () => Promise<T>): Promise<T> {
    await this.revokeAll(userId);
    const result = await change();
    await this.revokeAll(userId);
    return result;
  }

  listUsers(page: number, limit: number, role?: Role): Promise<{ items: User[]; total: number }> {
    return this.users.page(page, limit, role);
  }

  /**
   * Opens a session with the role read from MySQL after the session exists: a role or password
   * change that committed before that read is seen here (the session is dropped and opened again
   * with what is current); one that commits after it revokes this session with its second revoke.
   * Without the check, a sign-in that read the user before a change and stored its session after
   * the change's last revoke kept the old role.
   */
  private async startSession(user: User, attempt = 1): Promise<SignedInSession> {
    const { sessionId, session } = await askSessionStore(() => this.sessions.create(user.id, user.role));
    const current = await this.users.findById(user.id);
    if (current?.role === user.role && current.passwordHash === user.passwordHash) return { sessionId, session, user };
    await askSessionStore(() => this.sessions.revoke(sessionId));
    // A new password (or a deleted account) means the one just checked is no longer right.
    if (!current || current.passwordHash !== user.passwordHash || attempt > 1) throw new InvalidCredentialsError();
    return this.startSession(current, attempt + 1);
  }
}
