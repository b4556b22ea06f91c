import { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';

/**
 * What a process buffers in memory (counters, recently viewed) goes to Redis every
 * STATS_BUFFER_FLUSH_MS, and once more at shutdown so a clean stop loses nothing.
 */
export abstract class PeriodicFlush implements OnModuleInit, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  protected constructor(protected readonly config: AppConfig) {}

  abstract send(): Promise<void>;

  onModuleInit(): void {
    if (!this.config.stats.enabled) return;
    this.timer = setInterval(() => void this.send(), this.config.stats.bufferFlushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.send();
  }
}
