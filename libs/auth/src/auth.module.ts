import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PrincipalResolver } from '@stockroom/core';
import { User } from './user.entity';
import { UserRepository } from './user.repository';
import { PasswordHasher } from './password-hasher';
import { AdminBootstrap } from './admin-bootstrap';
import { SessionStore } from './session.store';
import { AuthService } from './auth.service';
import { AuthController } from './auth.controller';
import { SessionPrincipals } from './session-principals';
import { AccessGuard } from './access.guard';

/**
 * Users, the first admin, Redis sessions and the access guard (the app makes it global, see
 * app.factory.ts: the app composes its guards in one ordered list).
 */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [AuthController],
  providers: [
    UserRepository,
    { provide: PasswordHasher, useFactory: () => new PasswordHasher() },
    AdminBootstrap,
    SessionStore,
    AuthService,
    SessionPrincipals,
    AccessGuard,
  ],
  exports: [UserRepository, PasswordHasher, SessionStore, AuthService, SessionPrincipals, AccessGuard],
})
export class AuthModule {}

/**
 * Core's `PrincipalResolver` port, answered by the sessions: the one thing every module may ask
 * (the throttler's tracker, the catalogue's signed-in reads) without importing auth. The port is
 * global, the module that implements it is not.
 */
@Global()
@Module({
  imports: [AuthModule],
  providers: [{ provide: PrincipalResolver, useExisting: SessionPrincipals }],
  exports: [PrincipalResolver],
})
export class PrincipalsModule {}
