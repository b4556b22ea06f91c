import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  // Small parameters keep the unit test fast; production uses the defaults.
  const hasher = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    await expect(hasher.verify('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(hasher.verify('correct horse battery stapler', stored)).resolves.toBe(false);
  });

  it('salts every hash and stores its parameters', async () => {
    const [a, b] = await Promise.all([hasher.hash('same'), hasher.hash('same')]);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
  });

  it('refuses a stored value it did not write', async () => {
    await expect(hasher.verify('x', 'md5$abc')).resolves.toBe(false);
    await expect(hasher.verify('x', '')).resolves.toBe(false);
  });

  it('hashes with the default (strong) parameters', async () => {
    expect(await new PasswordHasher().hash('pw')).toMatch(/^scrypt\$131072\$8\$1\$/);
  });
});
