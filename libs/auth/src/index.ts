export * from './user.entity';
export * from './user.repository';
export * from './password-hasher';
export * from './auth.module';
export * from './auth.errors';
export * from './session.store';
export * from './session-id';
export * from './auth.service';
