import { AuthService } from './auth.service';
import type { PasswordHasher } from './password-hasher';
import type { SessionStore } from './session.store';
import type { UserRepository } from './user.repository';
import type { User } from './user.entity';

const user = (changes: Partial<User> = {}): User => ({ id: 7, email: 'ana@example.test', role: 'staff', passwordHash: 'h1', createdAt: new Date(0), ...changes }) as User;

/** The sign-in's own reads, then what a role or password change committed in between made of the row. */
function service(afterCheck: User | null) {
  const created: Array<{ id: string; role: string }> = [];
  const revoked: string[] = [];
  const users = {
    findByEmail: async () => user(),
    findById: async () => afterCheck,
  } as unknown as UserRepository;
  const hasher = { verify: async () => true, hash: async () => 'decoy' } as unknown as PasswordHasher;
  const sessions = {
    ensureAvailable: async () => undefined,
    create: async (_userId: number, role: string) => {
      const id = `s${created.length + 1}`;
      created.push({ id, role });
      return { sessionId: id, session: { userId: 7, role } };
    },
    revoke: async (id: string) => void revoked.push(id),
  } as unknown as SessionStore;
  return { auth: new AuthService(users, hasher, sessions), created, revoked };
}

describe('AuthService: a sign-in racing a role or password change', () => {
  it('keeps the session when nothing changed', async () => {
    const { auth, created, revoked } = service(user());
    const signedIn = await auth.login('ana@example.test', 'a long passphrase');
    expect(signedIn.session.role).toBe('staff');
    expect(created).toHaveLength(1);
    expect(revoked).toEqual([]);
  });

  it('drops a session opened with a role changed meanwhile, and opens one with the current role', async () => {
    const { auth, created, revoked } = service(user({ role: 'customer' }));
    const signedIn = await auth.login('ana@example.test', 'a long passphrase');
    expect(revoked).toEqual(['s1']);
    expect(created.map((c) => c.role)).toEqual(['staff', 'customer']);
    expect(signedIn.session.role).toBe('customer');
  });

  it('refuses the sign-in when the password changed meanwhile (the one checked is no longer right)', async () => {
    const { auth, revoked } = service(user({ passwordHash: 'h2' }));
    await expect(auth.login('ana@example.test', 'a long passphrase')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(revoked).toEqual(['s1']);
  });

  it('refuses the sign-in when the account was deleted meanwhile', async () => {
    const { auth, revoked } = service(null);
    await expect(auth.login('ana@example.test', 'a long passphrase')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(revoked).toEqual(['s1']);
  });
});
