export * from './redis-throttler.storage';
export * from './rate-limit.guard';
export * from './rate-limit.module';
export * from './throttle.decorators';
export * from './rate-limit-options';
