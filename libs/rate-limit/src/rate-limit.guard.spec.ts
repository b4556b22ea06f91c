import { Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { MetricsRegistry } from '@stockroom/core';
import { RateLimitGuard } from './rate-limit.guard';

describe('RateLimitGuard at boot', () => {
  const storage = {} as ThrottlerStorage;
  afterEach(() => jest.restoreAllMocks());

  it('says nothing when throttling is off (no throttler on purpose)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await new RateLimitGuard({ throttlers: [] }, storage, new Reflector(), new MetricsRegistry()).onModuleInit();
    expect(warn).not.toHaveBeenCalled();
  });

  it('sets its throttlers up as the base class does when there are some', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const guard = new RateLimitGuard({ throttlers: [{ name: 'default', limit: 5, ttl: 1000 }] }, storage, new Reflector(), new MetricsRegistry());
    await guard.onModuleInit();
    expect((guard as unknown as { throttlers: Array<{ name: string }> }).throttlers.map((t) => t.name)).toEqual(['default']);
    expect(warn).not.toHaveBeenCalled();
  });
});
