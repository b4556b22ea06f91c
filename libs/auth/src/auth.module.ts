import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './user.entity';
import { UserRepository } from './user.repository';
import { PasswordHasher } from './password-hasher';
import { AdminBootstrap } from './admin-bootstrap';

/** Users and the first admin; sessions, guards and roles come next (#5 parts 2-3). */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [UserRepository, { provide: PasswordHasher, useFactory: () => new PasswordHasher() }, AdminBootstrap],
  exports: [UserRepository, PasswordHasher],
})
export class AuthModule {}
