import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { PasswordHasher } from './password-hasher';
import { UserRepository } from './user.repository';

/** The first admin, from ADMIN_EMAIL / ADMIN_PASSWORD, ensured at every boot (never overwritten). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail, adminPassword } = this.config.auth;
    if (await this.users.findByEmail(adminEmail)) return;
    if (await this.users.insertIfMissing(adminEmail, await this.hasher.hash(adminPassword), 'admin')) {
      this.logger.log(`created the first admin ${adminEmail}`);
    }
  }
}
