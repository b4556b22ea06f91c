import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, AppConfig } from '@stockroom/core';
import { AuthService } from './auth.service';
import { clearedSessionCookie, sessionCookie, sessionIdOf } from './session-id';
import type { User } from './user.entity';

class CredentialsDto {
  @ApiProperty({ example: 'ana@example.com' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'a long passphrase', minLength: 12, maxLength: 200 })
  @IsString()
  @Length(12, 200)
  password!: string;
}

class UserResponse {
  @ApiProperty({ example: 7 }) id!: number;
  @ApiProperty({ example: 'ana@example.com' }) email!: string;
  @ApiProperty({ enum: ['admin', 'staff', 'customer'] }) role!: string;
  @ApiProperty({ example: '2026-11-27T08:00:00.000Z' }) createdAt!: string;
}

class LoginResponse {
  @ApiProperty({ type: UserResponse }) user!: UserResponse;
  @ApiProperty({ description: 'Also set as the HttpOnly `sid` cookie; send as `Authorization: Bearer <token>` from non-browser clients' })
  token!: string;
  @ApiProperty({ example: '2026-12-04T08:00:00.000Z', description: 'Absolute end of the session' }) expiresAt!: string;
}

function userView(user: User): UserResponse {
  return { id: user.id, email: user.email, role: user.role, createdAt: user.createdAt.toISOString() };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  private get secureCookie(): boolean {
    return this.config.nodeEnv === 'production';
  }

  @Post('register')
  @ApiOperation({ summary: 'Create a customer account' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 409: ['EMAIL_TAKEN'] })
  async register(@Body() body: CredentialsDto): Promise<UserResponse> {
    return userView(await this.auth.register(body.email, body.password));
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: a new session id every time (cookie `sid` and `token`)' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ['INVALID_CREDENTIALS'], 503: ['SESSION_STORE_UNAVAILABLE'] })
  async login(@Body() body: CredentialsDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<LoginResponse> {
    const { sessionId, session, user } = await this.auth.login(body.email, body.password, sessionIdOf(request));
    void reply.header('set-cookie', sessionCookie(sessionId, Math.floor((session.expiresAt - Date.now()) / 1000), this.secureCookie));
    return { user: userView(user), token: sessionId, expiresAt: new Date(session.expiresAt).toISOString() };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End this session' })
  @ApiNoContentResponse({ description: 'Signed out (also when there was no session)' })
  @ApiErrors({ 503: ['SESSION_STORE_UNAVAILABLE'] })
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(sessionIdOf(request));
    void reply.header('set-cookie', clearedSessionCookie(this.secureCookie));
  }

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserResponse })
  @ApiErrors({ 401: ['NOT_SIGNED_IN'], 503: ['SESSION_STORE_UNAVAILABLE'] })
  async me(@Req() request: FastifyRequest): Promise<UserResponse> {
    return userView((await this.auth.whoIs(sessionIdOf(request))).user);
  }
}
