import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IdempotencyService } from './idempotency.service';
import { IdempotencyBinder } from './idempotent.decorator';

/** Import it where a controller uses `@Idempotent` (needs the Redis module). */
@Module({
  imports: [DiscoveryModule],
  providers: [IdempotencyService, IdempotencyBinder],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
