import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiPropertyOptional, ApiTags, OmitType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, AppConfig, CurrentPrincipal, PageQuery, ParseIdPipe, Public, Roles, ROLES, SignedIn } from '@stockroom/core';
import type { Principal, Role } from '@stockroom/core';
import { CredentialThrottle } from '@stockroom/rate-limit';
import { AuthService, SignedInSession } from './auth.service';
import { clearedSessionCookie, sessionCookie, sessionIdOf } from './session-id';
import { normaliseEmail } from './user.repository';
import { SessionStore } from './session.store';
import type { User } from './user.entity';

const lowerCaseEmail = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? normaliseEmail(value) : value);

class CredentialsDto {
  @ApiProperty({ example: 'ana@example.com' })
  @Transform(lowerCaseEmail)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'a long passphrase', minLength: 12, maxLength: 200 })
  @IsString()
  @Length(12, 200)
  password!: string;
}

/** Sign-in checks a password, it does not judge it: a short one is a wrong one (401), not a 400 that tells it apart. */
class SignInDto extends OmitType(CredentialsDto, ['password'] as const) {
  @ApiProperty({ example: 'a long passphrase', maxLength: 200 })
  @IsString()
  @MaxLength(200)
  password!: string;
}

class ChangePasswordDto {
  @ApiProperty({ example: 'a long passphrase' })
  @IsString()
  @MaxLength(200)
  currentPassword!: string;

  @ApiProperty({ example: 'an even longer passphrase', minLength: 12, maxLength: 200 })
  @IsString()
  @Length(12, 200)
  newPassword!: string;
}

class SetRoleDto {
  @ApiProperty({ enum: ROLES, enumName: 'Role' })
  @IsIn(ROLES)
  role!: Role;
}

class UsersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ROLES, enumName: 'Role' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

class UserResponse {
  @ApiProperty({ example: 7 }) id!: number;
  @ApiProperty({ example: 'ana@example.com' }) email!: string;
  @ApiProperty({ enum: ROLES, enumName: 'Role' }) role!: Role;
  @ApiProperty({ example: '2026-11-27T08:00:00.000Z' }) createdAt!: string;
}

class UserPageResponse {
  @ApiProperty({ type: [UserResponse] }) items!: UserResponse[];
  @ApiProperty({ example: 1 }) page!: number;
  @ApiProperty({ example: 20 }) limit!: number;
  @ApiProperty({ example: 3 }) total!: number;
}

class LoginResponse {
  @ApiProperty({ type: UserResponse }) user!: UserResponse;
  @ApiProperty({ description: 'Also set as the HttpOnly `sid` cookie; send as `Authorization: Bearer <token>` from non-browser clients' })
  token!: string;
  @ApiProperty({ example: '2026-12-04T08:00:00.000Z', description: 'Absolute end of the session' }) expiresAt!: string;
}

class RevokedResponse {
  @ApiProperty({ example: 2, description: 'Sessions ended' }) revoked!: number;
}

function userView(user: User): UserResponse {
  return { id: user.id, email: user.email, role: user.role, createdAt: user.createdAt.toISOString() };
}

/** The account a sign-in or sign-up body aims at, for the per-account brute-force limit. */
const accountInBody = (request: FastifyRequest): string | undefined => {
  const email = (request.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? normaliseEmail(email) : undefined;
};

/** A password change tests the current password: limited per session (the guard runs before the principal is known). */
const accountOfSession = (request: FastifyRequest): string | undefined => {
  const sessionId = sessionIdOf(request);
  return sessionId ? `session:${SessionStore.digest(sessionId)}` : undefined;
};

const USER_ID = { name: 'id', type: Number, example: 7 };

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  /** HTTPS-only cookies everywhere but on a developer's plain-HTTP machine (browsers also accept them on http://localhost). */
  private get secureCookie(): boolean {
    return this.config.nodeEnv !== 'development';
  }

  @Post('register')
  @Public()
  @CredentialThrottle(accountInBody)
  @ApiOperation({
    operationId: 'registerAccount',
    summary: 'Create a customer account',
    description:
      'Creates a customer account; the e-mail is compared in its canonical form (NFKC, trimmed, lower case). Password 12–200 characters. 409 EMAIL_TAKEN.',
  })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 409: ['EMAIL_TAKEN'] })
  async register(@Body() body: CredentialsDto): Promise<UserResponse> {
    return userView(await this.auth.register(body.email, body.password));
  }

  @Post('login')
  @Public()
  @CredentialThrottle(accountInBody)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'signIn',
    summary: 'Sign in: a new session id every time (cookie `sid` and `token`)',
    description:
      'Answers `{user, token, expiresAt}` and sets the HttpOnly `sid` cookie; a new session id every time. Browsers keep the cookie; other clients send `Authorization: Bearer <token>`. 401 INVALID_CREDENTIALS for any wrong e-mail or password; 503 SESSION_STORE_UNAVAILABLE is checked before the password, so every attempt gets the same answer. Limited per address and per account.',
  })
  @ApiOkResponse({ type: LoginResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ['INVALID_CREDENTIALS'], 503: ['SESSION_STORE_UNAVAILABLE'] })
  async login(@Body() body: SignInDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<LoginResponse> {
    return this.signedIn(await this.auth.login(body.email, body.password, sessionIdOf(request)), reply);
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({ operationId: 'signOut', summary: 'End this session', description: 'Ends this session and clears the cookie.' })
  @ApiNoContentResponse({ description: 'Signed out (also when there was no session)' })
  @ApiErrors({ 503: ['SESSION_STORE_UNAVAILABLE'] })
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(sessionIdOf(request));
    void reply.header('set-cookie', clearedSessionCookie(this.secureCookie));
  }

  @Get('me')
  @SignedIn()
  @ApiOperation({ operationId: 'getCurrentUser', summary: 'The signed-in user', description: 'The user of this session.' })
  @ApiOkResponse({ type: UserResponse })
  async me(@CurrentPrincipal() principal: Principal): Promise<UserResponse> {
    return userView(await this.auth.userOf(principal));
  }

  @Post('password')
  @SignedIn()
  @CredentialThrottle(accountOfSession)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change your password: every session of yours ends, and this answer starts a new one',
    description:
      'Checks the current password (400 WRONG_PASSWORD), ends every session of the user and starts a new one, answered like sign-in. Under the sign-in limits.',
  })
  @ApiOkResponse({ type: LoginResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'WRONG_PASSWORD'], 503: ['SESSION_STORE_UNAVAILABLE'] })
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() body: ChangePasswordDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<LoginResponse> {
    return this.signedIn(await this.auth.changePassword(principal, body.currentPassword, body.newPassword), reply);
  }

  @Get('users')
  @Roles('admin')
  @ApiOperation({ operationId: 'listUsers', summary: 'Accounts, by id', description: 'Accounts by id, optionally of one role; never their password hashes.' })
  @ApiOkResponse({ type: UserPageResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'] })
  async users(@Query() query: UsersQuery): Promise<UserPageResponse> {
    const { items, total } = await this.auth.listUsers(query.page, query.limit, query.role);
    return { items: items.map(userView), page: query.page, limit: query.limit, total };
  }

  @Patch('users/:id')
  @Roles('admin')
  @ApiOperation({
    operationId: 'setUserRole',
    summary: "Change a user's role; their sessions end (they carry the old role)",
    description:
      'Sets a user\'s role; their sessions end (they carried the old role). 409 OWN_ROLE for one\'s own account.',
  })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: UserResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['USER_NOT_FOUND'], 409: ['OWN_ROLE'] })
  async setRole(@CurrentPrincipal() principal: Principal, @Param('id', ParseIdPipe) id: number, @Body() body: SetRoleDto): Promise<UserResponse> {
    return userView(await this.auth.setRole(principal, id, body.role));
  }

  @Delete('users/:id/sessions')
  @Roles('admin')
  @ApiOperation({
    operationId: 'revokeUserSessions',
    summary: 'Sign a user out everywhere',
    description:
      'Signs a user out everywhere; answers how many sessions ended.',
  })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: RevokedResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['USER_NOT_FOUND'] })
  async revokeSessions(@Param('id', ParseIdPipe) id: number): Promise<RevokedResponse> {
    return { revoked: await this.auth.revokeAllOf(id) };
  }

  private signedIn({ sessionId, session, user }: SignedInSession, reply: FastifyReply): LoginResponse {
    void reply.header('set-cookie', sessionCookie(sessionId, Math.floor((session.expiresAt - Date.now()) / 1000), this.secureCookie));
    return { user: userView(user), token: sessionId, expiresAt: new Date(session.expiresAt).toISOString() };
  }
}
