import { HttpCode } from '@nestjs/common';
import { HTTP_CODE_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { attachPrincipal, ValidationFailedError, withinRequest } from '@stockroom/core';
import { bindIdempotency, Idempotent } from './idempotent.decorator';
import type { IdempotencyService, StoredResponse } from './idempotency.service';
import { IdempotencyService as Service } from './idempotency.service';

type Reply = ReturnType<typeof exchangeFor>['reply'];

class Controller {
  recovered?: { key: string; request: unknown };
  made = 0;
  reply?: Reply;

  @Idempotent({ scope: 'thing', perUser: true, recover: 'recoverThing' })
  @HttpCode(202)
  async make(id: number): Promise<{ id: number }> {
    this.made++;
    this.reply?.status(202).header('Location', `/things/${id}`);
    return { id };
  }

  @Idempotent({ scope: 'plain' })
  async plain(): Promise<void> {
    throw new Error('not run');
  }

  async recoverThing(key: string, request: unknown): Promise<StoredResponse> {
    this.recovered = { key, request };
    return { status: 201, body: { recovered: true } };
  }
}

function exchangeFor(headers: Record<string, string>) {
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
      return name.toLowerCase() in this.headers;
    },
    getHeader(name: string) {
      return this.headers[name.toLowerCase()];
    },
  };
  const request = { id: 'req-1', headers, params: { id: '7' }, body: { n: 1 } };
  return { reply, request };
}

/** Runs `call` (a handler call, as Nest makes it) inside the request context that configureFastify opens. */
function serve<T>(exchange: ReturnType<typeof exchangeFor>, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => withinRequest(exchange.request as never, exchange.reply as never, () => void call().then(resolve, reject)));
}

describe('@Idempotent', () => {
  let controller: Controller;
  let run: jest.Mock;

  beforeEach(() => {
    controller = new Controller();
    run = jest.fn(async (_scope, _key, _fingerprint, work: () => Promise<StoredResponse>) => ({ ...(await work()), replayed: false }));
    bindIdempotency(controller, { run } as unknown as IdempotencyService);
  });

  it('leaves a request without the header to the handler alone', async () => {
    const exchange = exchangeFor({});
    expect(await serve(exchange, () => controller.make(7))).toEqual({ id: 7 });
    expect(run).not.toHaveBeenCalled();
  });

  it('refuses a malformed key with 400 before the handler runs', async () => {
    const exchange = exchangeFor({ 'idempotency-key': 'not a key!' });
    await expect(serve(exchange, () => controller.make(7))).rejects.toThrow(ValidationFailedError);
    expect(controller.made).toBe(0);
  });

  it('keys by scope and user, fingerprints parameters and body as one object, and keeps the status and Location of the first answer', async () => {
    const exchange = exchangeFor({ 'idempotency-key': 'k-1' });
    attachPrincipal(exchange.request as never, { userId: 5, role: 'customer' });
    controller.reply = exchange.reply;
    expect(await serve(exchange, () => controller.make(7))).toEqual({ id: 7 });
    const [scope, key, fingerprint] = run.mock.calls[0] as [string, string, unknown];
    expect([scope, key, fingerprint]).toEqual(['thing:5', 'k-1', { id: 7, n: 1 }]);
    expect(await run.mock.results[0].value).toEqual({ status: 202, body: { id: 7 }, headers: { location: '/things/7' }, replayed: false });
    expect(exchange.reply.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays a stored answer with its status and headers, marked as a replay, without running the handler', async () => {
    run.mockResolvedValueOnce({ status: 409, body: { code: 'X' }, headers: { location: '/x' }, replayed: true });
    const exchange = exchangeFor({ 'idempotency-key': 'k-2' });
    expect(await serve(exchange, () => controller.plain())).toEqual({ code: 'X' });
    expect(exchange.reply.statusCode).toBe(409);
    expect(exchange.reply.headers).toEqual({ location: '/x', 'idempotent-replayed': 'true' });
  });

  it("asks the controller's recover method for the first answer", async () => {
    const exchange = exchangeFor({ 'idempotency-key': 'k-3' });
    await serve(exchange, () => controller.make(7));
    const recover = run.mock.calls[0][4] as () => Promise<StoredResponse>;
    expect(await recover()).toEqual({ status: 201, body: { recovered: true } });
    expect(controller.recovered).toEqual({ key: 'k-3', request: exchange.request });
  });

  it('adds no Nest interceptor to the route (RxJS and AsyncResource.bind on every request)', () => {
    expect(Reflect.getMetadata(INTERCEPTORS_METADATA, Controller.prototype.make)).toBeUndefined();
  });

  it('keeps the metadata of the decorators applied before it (the route keeps its status code)', () => {
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, Controller.prototype.make)).toBe(202);
    expect(Controller.prototype.make.name).toBe('make');
  });

  it('says which module is missing when the controller was never bound', async () => {
    const unbound = new Controller();
    await expect(serve(exchangeFor({ 'idempotency-key': 'k-4' }), () => unbound.make(7))).rejects.toThrow('import IdempotencyModule');
  });

  it('validates keys as the ledger stores references', () => {
    expect(Service.validateKey('5f0c2a7e-8d1b-4c3e-9a55-0b7f6e2d9c41')).toBe('5f0c2a7e-8d1b-4c3e-9a55-0b7f6e2d9c41');
    expect(() => Service.validateKey('x'.repeat(101))).toThrow(ValidationFailedError);
  });
});
