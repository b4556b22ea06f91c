import type { InjectionToken, ModuleMetadata, Provider } from '@nestjs/common';

/** What a lib's `forRootAsync` takes: its options from a factory, with the factory's dependencies. */
export interface AsyncModuleOptions<T> {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  useFactory: (...args: any[]) => T | Promise<T>;
}

/** The provider of a lib's options under `token`, from a factory, each unset field given its default by `resolve`. */
export function asyncOptionsProvider<T, R>(token: symbol, options: AsyncModuleOptions<T>, resolve: (options: T) => R): Provider {
  return { provide: token, inject: options.inject ?? [], useFactory: async (...args: unknown[]) => resolve(await options.useFactory(...args)) };
}
