import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { AsyncModuleOptions, asyncOptionsProvider } from '@stockroom/core';
import { LOCK_OPTIONS, LockService } from './lock.service';
import type { LockModuleOptions } from './lock.service';

/** LockService (fenced Redis locks), global once imported. Needs RedisModule; reports to a MetricsRegistry when the app has one. */
@Module({})
export class LockModule {
  static forRoot(options: LockModuleOptions = {}): DynamicModule {
    return LockModule.with({ provide: LOCK_OPTIONS, useValue: options });
  }

  static forRootAsync(options: AsyncModuleOptions<LockModuleOptions>): DynamicModule {
    return LockModule.with(asyncOptionsProvider(LOCK_OPTIONS, options, (given) => given), options.imports);
  }

  private static with(options: Provider, imports: ModuleMetadata['imports'] = []): DynamicModule {
    return { module: LockModule, global: true, imports, providers: [options, LockService], exports: [LockService] };
  }
}
