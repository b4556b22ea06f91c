import type { Cluster, Redis } from 'ioredis';
import { InventoryRepository, InventoryService, StaleFencingTokenError } from '@stockroom/inventory';
import { LockService } from '@stockroom/lock';
import { bootApi, TestApi, TestContext, testRedis } from './support/test-context';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Inventory: adjustments under lock, reservations, ledger, idempotency', () => {
  let context: TestContext;
  let api: TestApi;
  let redis: Redis | Cluster;

  const inject = async (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
    api.app.inject({ method, url, payload, headers: { ...(await api.admin()), ...headers } });
  const create = async (sku: string, stock: number) => (await inject('POST', '/products', { sku, name: sku, price: '1.00', stock })).json();
  const levels = async (id: number) => (await inject('GET', `/inventory/${id}`)).json();
  const expectLedgerConsistent = async () => expect(await api.app.get(InventoryRepository).ledgerMismatches()).toEqual([]);

  beforeAll(async () => {
    context = await TestContext.create();
    api = await bootApi(context);
    redis = testRedis();
  });

  afterAll(async () => {
    redis?.disconnect();
    await api?.close();
    await context?.dispose();
  });

  it('reports stock, reserved and available; 404 for a missing product', async () => {
    const product = await create('INV-1', 7);
    expect(await levels(product.id)).toEqual({ productId: product.id, stock: 7, reserved: 0, available: 7 });
    expect((await inject('GET', '/inventory/999999')).json().code).toBe('PRODUCT_NOT_FOUND');
    await expectLedgerConsistent();
  });

  it('adjusts stock with a movement, refuses to go below zero, and retires the cached product', async () => {
    const product = await create('INV-2', 5);
    expect((await inject('GET', `/products/${product.id}`)).json().stock).toBe(5);
    const added = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 10, reason: 'delivery' });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ movement: { type: 'adjustment', stockDelta: 10, reason: 'delivery' }, levels: { stock: 15, available: 15 } });
    expect(added.json().movement.fencingToken).toBeGreaterThan(0);
    expect((await inject('GET', `/products/${product.id}`)).json().stock).toBe(15);

    const tooMany = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: -16, reason: 'theft' });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json()).toMatchObject({ code: 'INSUFFICIENT_STOCK', details: { lines: [{ productId: product.id, requested: 16, available: 15 }] } });
    expect((await levels(product.id)).stock).toBe(15);

    const movements = (await inject('GET', `/inventory/${product.id}/movements?limit=1`)).json();
    expect(movements).toMatchObject({ total: 2, page: 1, limit: 1 });
    expect(movements.items[0]).toMatchObject({ stockDelta: 10, reason: 'delivery' });
    await expectLedgerConsistent();
  });

  it.each([
    [{ delta: 0, reason: 'x' }, 'delta'],
    [{ delta: 1.5, reason: 'x' }, 'delta'],
    [{ delta: 1 }, 'reason'],
    [{ delta: 1, reason: '' }, 'reason'],
  ])('refuses adjustment %j (400 naming %s)', async (body, field) => {
    const product = await create(`INV-V-${field}-${Math.random().toString(36).slice(2, 8)}`, 1);
    const response = await inject('POST', `/inventory/${product.id}/adjustments`, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('100 concurrent adjustments of ±1 on one product: the final stock is the sum of those that succeeded', async () => {
    const product = await create('INV-3', 50);
    const deltas = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? -1 : 1));
    const responses = await Promise.all(deltas.map((delta) => inject('POST', `/inventory/${product.id}/adjustments`, { delta, reason: 'count' })));
    const applied = deltas.filter((_, i) => responses[i].statusCode === 201);
    for (const response of responses) expect([201, 423]).toContain(response.statusCode);
    expect(applied.length).toBeGreaterThan(0);
    expect((await levels(product.id)).stock).toBe(50 + applied.reduce((a, b) => a + b, 0));
    const tokens = responses.filter((r) => r.statusCode === 201).map((r) => r.json().movement.fencingToken as number);
    expect(new Set(tokens).size).toBe(tokens.length);
    await expectLedgerConsistent();
  });

  it('refuses the late write of a holder whose lease ran out (fencing)', async () => {
    const product = await create('INV-4', 10);
    const locks = api.app.get(LockService);
    const inventory = api.app.get(InventoryService);
    const a = await locks.acquire(`product:${product.id}`, { ttlMs: 100 });
    await sleep(250); // A pauses past its lease
    const b = await locks.acquire(`product:${product.id}`, { ttlMs: 2_000 });
    await inventory.applyAdjustment(product.id, 5, 'B counted', b.fencingToken);
    await expect(inventory.applyAdjustment(product.id, -10, 'A, too late', a.fencingToken)).rejects.toBeInstanceOf(StaleFencingTokenError);
    await b.release();
    expect((await levels(product.id)).stock).toBe(15);
    await expectLedgerConsistent();
  });

  it('answers 423 LOCK_TIMEOUT with Retry-After while a clerk holds the product', async () => {
    const product = await create('INV-5', 10);
    const lease = await api.app.get(LockService).acquire(`product:${product.id}`, { ttlMs: 5_000 });
    try {
      const response = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 1, reason: 'blocked' });
      expect(response.statusCode).toBe(423);
      expect(response.json().code).toBe('LOCK_TIMEOUT');
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await lease.release();
    }
  });

  describe('reservations (the purchase hot path)', () => {
    it('reserves all lines or none, summing lines of one product', async () => {
      const a = await create('RES-A', 5);
      const b = await create('RES-B', 2);
      const ok = await inject('POST', '/inventory/reservations', { items: [{ productId: a.id, quantity: 2 }, { productId: a.id, quantity: 1 }, { productId: b.id, quantity: 2 }] });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().movements.map((m: { productId: number; reservedDelta: number }) => [m.productId, m.reservedDelta])).toEqual([
        [a.id, 3],
        [b.id, 2],
      ]);
      expect(await levels(a.id)).toMatchObject({ stock: 5, reserved: 3, available: 2 });

      const short = await inject('POST', '/inventory/reservations', { items: [{ productId: a.id, quantity: 1 }, { productId: b.id, quantity: 1 }] });
      expect(short.statusCode).toBe(409);
      expect(short.json().details.lines).toEqual([{ productId: b.id, requested: 1, available: 0 }]);
      expect(await levels(a.id)).toMatchObject({ reserved: 3 });
      await expectLedgerConsistent();
    });

    it('refuses a reservation for a missing product and bad lines', async () => {
      expect((await inject('POST', '/inventory/reservations', { items: [{ productId: 999999, quantity: 1 }] })).statusCode).toBe(404);
      for (const items of [[], [{ productId: 1, quantity: 0 }], [{ productId: 1 }], Array.from({ length: 51 }, () => ({ productId: 1, quantity: 1 }))]) {
        expect((await inject('POST', '/inventory/reservations', { items })).statusCode).toBe(400);
      }
    });

    it('releases and sells reserved stock, keeping the ledger equal to the rows', async () => {
      const product = await create('RES-C', 10);
      const inventory = api.app.get(InventoryService);
      await inventory.reserveStock([{ productId: product.id, quantity: 4 }], { reference: 'order-c' });
      await inventory.sellReserved([{ productId: product.id, quantity: 3 }], { reference: 'order-c' });
      await inventory.releaseStock([{ productId: product.id, quantity: 1 }], { reference: 'order-c' });
      expect(await levels(product.id)).toMatchObject({ stock: 7, reserved: 0, available: 7 });
      await expectLedgerConsistent();
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer to a retry with the same key and body, and changes nothing', async () => {
      const product = await create('IDEM-1', 10);
      const headers = { 'idempotency-key': 'adj-idem-1' };
      const first = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: -2, reason: 'sold at the counter' }, headers);
      const retry = await inject('POST', `/inventory/${product.id}/adjustments`, { reason: 'sold at the counter', delta: -2 }, headers);
      expect(retry.statusCode).toBe(first.statusCode);
      expect(retry.json()).toEqual(first.json());
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect((await levels(product.id)).stock).toBe(8);
    });

    it('answers 422 to the same key with another body', async () => {
      const product = await create('IDEM-2', 10);
      const headers = { 'idempotency-key': 'adj-idem-2' };
      await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 1, reason: 'a' }, headers);
      const other = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 2, reason: 'a' }, headers);
      expect(other.statusCode).toBe(422);
      expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect((await levels(product.id)).stock).toBe(11);
    });

    it('20 concurrent retries of one key apply once and all get the same answer', async () => {
      const product = await create('IDEM-3', 10);
      const body = { items: [{ productId: product.id, quantity: 3 }] };
      const responses = await Promise.all(Array.from({ length: 20 }, () => inject('POST', '/inventory/reservations', body, { 'idempotency-key': 'res-idem-3' })));
      expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
      expect(new Set(responses.map((r) => r.body)).size).toBe(1);
      expect(await levels(product.id)).toMatchObject({ reserved: 3 });
      await expectLedgerConsistent();
    });

    it('when Redis has lost the record, the ledger still refuses a second application', async () => {
      const product = await create('IDEM-4', 10);
      const headers = { 'idempotency-key': 'adj-idem-4' };
      const first = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 5, reason: 'x' }, headers);
      await redis.del(`${context.keyPrefix}:idem:adjustment:adj-idem-4`);
      const retry = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 5, reason: 'x' }, headers);
      expect(retry.statusCode).toBe(201);
      expect(retry.json().movement).toEqual(first.json().movement);
      expect((await levels(product.id)).stock).toBe(15);
    });

    it('remembers a refusal too, and refuses a malformed key', async () => {
      const product = await create('IDEM-5', 1);
      const headers = { 'idempotency-key': 'adj-idem-5' };
      const first = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: -5, reason: 'x' }, headers);
      expect(first.statusCode).toBe(409);
      await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 10, reason: 'restock' });
      const retry = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: -5, reason: 'x' }, headers);
      expect(retry.statusCode).toBe(409);
      expect(retry.json()).toEqual(first.json());
      const bad = await inject('POST', `/inventory/${product.id}/adjustments`, { delta: 1, reason: 'x' }, { 'idempotency-key': 'has space' });
      expect(bad.statusCode).toBe(400);
    });
  });
});
