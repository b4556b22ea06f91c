export * from './lock.errors';
export * from './lock.service';
export * from './lock.module';
