export * from './user.entity';
export * from './user.repository';
export * from './password-hasher';
export * from './auth.module';
