import type { ExecutionContext } from '@nestjs/common';

type Handler = (...args: never[]) => unknown;
type Controller = abstract new (...args: never[]) => unknown;

/**
 * What a guard derives from a route's metadata (access, throttling), worked out on the route's
 * first request and kept: Nest's metadata is fixed once the app is built, and reading it through
 * the Reflector on every request is a large share of a cached read.
 */
export class RouteMemo<T> {
  private readonly byController = new WeakMap<Controller, WeakMap<Handler, T>>();

  get(context: ExecutionContext, derive: (handler: Handler, controller: Controller) => T): T {
    const handler = context.getHandler() as Handler;
    const controller = context.getClass() as Controller;
    let handlers = this.byController.get(controller);
    if (!handlers) {
      handlers = new WeakMap();
      this.byController.set(controller, handlers);
    }
    let value = handlers.get(handler);
    if (value === undefined) {
      value = derive(handler, controller);
      handlers.set(handler, value);
    }
    return value;
  }
}
