import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DomainError } from '@stockroom/core';
import { isDuplicateKeyError, onPrimary } from '@stockroom/database';
import { Role, User } from './user.entity';

export class EmailTakenError extends DomainError {
  readonly status = 409;
  readonly code = 'EMAIL_TAKEN';

  constructor() {
    super('An account with this email already exists');
  }
}

/**
 * The one form of an address that the users table stores and compares (binary collation) and
 * the per-account sign-in limit keys: NFKC (fullwidth and compatibility characters fold to their
 * plain form), trimmed, lower case. Before, the table compared under utf8mb4_unicode_ci
 * (`ána@` = `ana@`) while the limit keyed the typed form: one account, many budgets.
 */
export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

@Injectable()
export class UserRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** On the primary (as every user read): sign-in right after sign-up must find the account. */
  findByEmail(email: string): Promise<User | null> {
    return onPrimary(this.users.manager.connection, (manager) => manager.findOneBy(User, { email: normaliseEmail(email) }));
  }

  findById(id: number): Promise<User | null> {
    return onPrimary(this.users.manager.connection, (manager) => manager.findOneBy(User, { id }));
  }

  async create(email: string, passwordHash: string, role: Role): Promise<User> {
    try {
      const result = await this.users.insert({ email: normaliseEmail(email), passwordHash, role });
      const id = (result.identifiers[0] as { id: number }).id;
      return await onPrimary(this.users.manager.connection, (manager) => manager.findOneByOrFail(User, { id }));
    } catch (error) {
      if (isDuplicateKeyError(error, 'UQ_users_email')) throw new EmailTakenError();
      throw error;
    }
  }

  async page(page: number, limit: number, role?: Role): Promise<{ items: User[]; total: number }> {
    const [items, total] = await onPrimary(this.users.manager.connection, (manager) =>
      manager.findAndCount(User, { where: role ? { role } : {}, order: { id: 'ASC' }, skip: (page - 1) * limit, take: limit }),
    );
    return { items, total };
  }

  /** True when the user exists. */
  async setPasswordHash(id: number, passwordHash: string): Promise<boolean> {
    return ((await this.users.update({ id }, { passwordHash })).affected ?? 0) > 0;
  }

  async setRole(id: number, role: Role): Promise<boolean> {
    return ((await this.users.update({ id }, { role })).affected ?? 0) > 0;
  }

  /** Inserts the account unless the email exists: idempotent, and safe when instances race. */
  async insertIfMissing(email: string, passwordHash: string, role: Role): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .insert()
      .into(User)
      .values({ email: normaliseEmail(email), passwordHash, role })
      .orIgnore()
      .updateEntity(false)
      .execute();
    return ((result.raw as { affectedRows?: number }).affectedRows ?? 0) > 0;
  }
}
