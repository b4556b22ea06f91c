import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './user.entity';
import { UserRepository } from './user.repository';
import { PasswordHasher } from './password-hasher';
import { AdminBootstrap } from './admin-bootstrap';
import { SessionStore } from './session.store';
import { AuthService } from './auth.service';
import { AuthController } from './auth.controller';

/** Users, the first admin and Redis sessions; guards and roles come next (#5 part 3). */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [AuthController],
  providers: [UserRepository, { provide: PasswordHasher, useFactory: () => new PasswordHasher() }, AdminBootstrap, SessionStore, AuthService],
  exports: [UserRepository, PasswordHasher, SessionStore, AuthService],
})
export class AuthModule {}
