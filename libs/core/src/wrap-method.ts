import type { MetadataScanner } from '@nestjs/core';

/**
 * Replaces a decorated method with `wrap(original)` on its prototype, where Nest takes a route's
 * handler from and where every call goes (a wrapper put on instances at init would miss routes:
 * Nest registers them first). Metadata that decorators applied earlier put on the original
 * function moves to the wrapper, and the name stays the method's.
 */
export function wrapMethod<F extends (...args: never[]) => unknown>(descriptor: TypedPropertyDescriptor<F>, wrap: (original: F) => F): void {
  const original = descriptor.value as F;
  const wrapper = wrap(original);
  for (const key of Reflect.getMetadataKeys(original)) Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapper);
  Object.defineProperty(wrapper, 'name', { value: original.name });
  descriptor.value = wrapper;
}

/** The names of `prototype`'s methods that carry one of `keys` (metadata on the function, as decorators using wrapMethod leave it). */
export function decoratedMethods(scanner: MetadataScanner, prototype: object, keys: ReadonlyArray<string | symbol>): string[] {
  return scanner.getAllMethodNames(prototype).filter((name) => keys.some((key) => Reflect.hasMetadata(key, (prototype as Record<string, object>)[name])));
}
