export * from './idempotency.errors';
export * from './idempotency.service';
export * from './idempotent.decorator';
export * from './idempotency.module';
