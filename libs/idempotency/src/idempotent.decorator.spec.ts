import { CallHandler, ExecutionContext } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { lastValueFrom, of, throwError } from 'rxjs';
import { attachPrincipal, ValidationFailedError } from '@stockroom/core';
import { Idempotent, IdempotencyInterceptor } from './idempotent.decorator';
import type { IdempotencyService, StoredResponse } from './idempotency.service';
import { IdempotencyService as Service } from './idempotency.service';

class Controller {
  recovered?: { key: string; request: unknown };

  @Idempotent({ scope: 'thing', perUser: true, recover: 'recoverThing' })
  make(): void {}

  @Idempotent({ scope: 'plain' })
  plain(): void {}

  async recoverThing(key: string, request: unknown): Promise<StoredResponse> {
    this.recovered = { key, request };
    return { status: 201, body: { recovered: true } };
  }
}

function contextFor(handler: (...args: never[]) => unknown, headers: Record<string, string>) {
  const reply = {
    statusCode: 201,
    headers: {} as Record<string, string>,
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    header(name: string, value: string) {
      this.headers[name.toLowerCase()] = value;
      return this;
    },
    hasHeader(name: string) {
      return name in this.headers;
    },
    getHeader(name: string) {
      return this.headers[name];
    },
  };
  const request = { headers, params: { id: '7' }, body: { n: 1 } };
  const context = {
    getHandler: () => handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, reply, request };
}

describe('@Idempotent', () => {
  const controller = new Controller();
  let run: jest.Mock;
  let interceptor: IdempotencyInterceptor;

  beforeEach(() => {
    run = jest.fn(async (_scope, _key, _fingerprint, work: () => Promise<StoredResponse>) => ({ ...(await work()), replayed: false }));
    interceptor = new IdempotencyInterceptor({ run } as unknown as IdempotencyService, new Reflector(), { get: () => controller } as unknown as ModuleRef);
  });

  it('leaves a request without the header to the handler alone', async () => {
    const { context } = contextFor(Controller.prototype.make, {});
    const handle: CallHandler = { handle: () => of({ made: 1 }) };
    expect(await lastValueFrom(interceptor.intercept(context, handle))).toEqual({ made: 1 });
    expect(run).not.toHaveBeenCalled();
  });

  it('refuses a malformed key with 400 before the handler runs', () => {
    const { context } = contextFor(Controller.prototype.make, { 'idempotency-key': 'not a key!' });
    expect(() => interceptor.intercept(context, { handle: () => of(1) })).toThrow(ValidationFailedError);
  });

  it('keys by scope and user, fingerprints parameters and body as one object, and keeps the status and Location of the first answer', async () => {
    const { context, request, reply } = contextFor(Controller.prototype.make, { 'idempotency-key': 'k-1' });
    attachPrincipal(request as never, { userId: 5, role: 'customer' });
    const handle: CallHandler = {
      handle: () => {
        reply.statusCode = 202;
        reply.header('Location', '/things/7');
        return of({ id: 7 });
      },
    };
    expect(await lastValueFrom(interceptor.intercept(context, handle))).toEqual({ id: 7 });
    const [scope, key, fingerprint, work] = run.mock.calls[0] as [string, string, unknown, () => Promise<StoredResponse>];
    expect([scope, key, fingerprint]).toEqual(['thing:5', 'k-1', { id: 7, n: 1 }]);
    expect(await work()).toEqual({ status: 202, body: { id: 7 }, headers: { location: '/things/7' } });
  });

  it('replays a stored answer with its status and headers, marked as a replay', async () => {
    run.mockResolvedValueOnce({ status: 409, body: { code: 'X' }, headers: { location: '/x' }, replayed: true });
    const { context, reply } = contextFor(Controller.prototype.plain, { 'idempotency-key': 'k-2' });
    expect(await lastValueFrom(interceptor.intercept(context, { handle: () => throwError(() => new Error('not run')) }))).toEqual({ code: 'X' });
    expect(reply.statusCode).toBe(409);
    expect(reply.headers).toEqual({ location: '/x', 'idempotent-replayed': 'true' });
  });

  it('asks the controller\'s recover method for the first answer', async () => {
    const { context, request } = contextFor(Controller.prototype.make, { 'idempotency-key': 'k-3' });
    await lastValueFrom(interceptor.intercept(context, { handle: () => of(1) }));
    const recover = run.mock.calls[0][4] as () => Promise<StoredResponse>;
    expect(await recover()).toEqual({ status: 201, body: { recovered: true } });
    expect(controller.recovered).toEqual({ key: 'k-3', request });
  });

  it('validates keys as the ledger stores references', () => {
    expect(Service.validateKey('5f0c2a7e-8d1b-4c3e-9a55-0b7f6e2d9c41')).toBe('5f0c2a7e-8d1b-4c3e-9a55-0b7f6e2d9c41');
    expect(() => Service.validateKey('x'.repeat(101))).toThrow(ValidationFailedError);
  });
});
