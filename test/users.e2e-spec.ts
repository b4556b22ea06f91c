import { PasswordHasher, UserRepository, EmailTakenError } from '@stockroom/auth';
import { bootApi, TestContext } from './support/test-context';

describe('Users: the first admin, normalised emails, scrypt hashes', () => {
  let context: TestContext;

  beforeAll(async () => {
    context = await TestContext.create();
  });

  afterAll(async () => {
    await context?.dispose();
  });

  it('creates the first admin exactly once, even with two instances booting at the same time', async () => {
    const env = { ADMIN_EMAIL: 'Boss@Example.com', ADMIN_PASSWORD: 'first-secret-123' };
    const [a, b] = await Promise.all([bootApi(context, env), bootApi(context, env)]);
    await Promise.all([a.close(), b.close()]);
    const rows = await context.query<Array<{ email: string; role: string; password_hash: string }>>('SELECT email, role, password_hash FROM users');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email: 'boss@example.com', role: 'admin' });
    expect(rows[0].password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(rows[0].password_hash).not.toContain('first-secret-123');

    // A later boot with another password leaves the existing admin alone.
    const again = await bootApi(context, { ...env, ADMIN_PASSWORD: 'other-secret-456' });
    try {
      const admin = await again.app.get(UserRepository).findByEmail(' BOSS@example.COM ');
      expect(admin?.role).toBe('admin');
      await expect(again.app.get(PasswordHasher).verify('first-secret-123', admin!.passwordHash)).resolves.toBe(true);
      await expect(again.app.get(UserRepository).create('boss@EXAMPLE.com', 'x', 'customer')).rejects.toBeInstanceOf(EmailTakenError);
    } finally {
      await again.close();
    }
    expect(await context.query<unknown[]>('SELECT id FROM users')).toHaveLength(1);
  });
});
