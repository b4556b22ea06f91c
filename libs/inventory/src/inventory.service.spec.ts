import type { UnitOfWork } from '@stockroom/database';
import type { LockService } from '@stockroom/lock';
import type { ProductRepository, ProductStock } from '@stockroom/catalog';
import { InventoryService, mergeLines } from './inventory.service';
import { InsufficientStockError, StaleFencingTokenError } from './inventory.errors';
import type { InventoryRepository, MovementInput } from './inventory.repository';

/** An in-memory stand-in for the ledger and the catalogue's stock statements: rows with stock/reserved, guarded like the SQL. */
function fakeRepository(rows: Record<number, { stock: number; reserved: number; fence: number; version: number }>) {
  const movements: MovementInput[] = [];
  const repository = {
    movements,
    levels: async (id: number) => (rows[id] ? { productId: id, ...rows[id], available: rows[id].stock - rows[id].reserved } : null),
    fenceOf: async (id: number) => rows[id]?.fence ?? 0,
    adjust: async (id: number, delta: number, token: number) => {
      const row = rows[id];
      if (!row || row.fence >= token || row.stock + delta < row.reserved) return false;
      Object.assign(row, { stock: row.stock + delta, fence: token, version: row.version + 1 });
      return true;
    },
    reserve: async (id: number, quantity: number) => {
      const row = rows[id];
      if (!row || row.stock - row.reserved < quantity) return false;
      row.reserved += quantity;
      return true;
    },
    release: async (id: number, quantity: number) => {
      const row = rows[id];
      if (!row || row.reserved < quantity) return false;
      row.reserved -= quantity;
      return true;
    },
    sell: async () => true,
    locked: [] as number[][],
    lockForReservation: async (ids: number[]) => {
      repository.locked.push(ids);
      const found = ids.filter((id) => rows[id]);
      return { rows: new Map(found.map((id) => [id, { available: rows[id].stock - rows[id].reserved, price: `${id}.00` }])), stamp: { now: new Date(0), idStep: 1 } };
    },
    reserveTotals: async (totals: Map<number, number>) => {
      for (const [id, total] of totals) rows[id].reserved += total;
      return true;
    },
    recordMovements: async (inputs: MovementInput[]) => inputs.map((input, index) => (movements.push(input), { id: index + 1, ...input })),
    recordMovement: async (input: MovementInput) => {
      movements.push(input);
      return { id: movements.length, ...input };
    },
    versionsOf: async (ids: number[]) => ids.map((id) => ({ id, version: rows[id].version })),
  };
  return repository;
}

/** A unit of work that only counts how often it was opened (the fake rows need no rollback here). */
function fakeWork() {
  const opened = { count: 0 };
  const work = { run: async <T>(fn: () => Promise<T>) => (opened.count++, fn()), active: true } as unknown as UnitOfWork;
  return { work, opened };
}

describe('InventoryService', () => {
  const locks = { withLock: (_: string, fn: (lease: { fencingToken: number }, signal: AbortSignal) => unknown) => fn({ fencingToken: 5 }, new AbortController().signal) } as unknown as LockService;

  it('merges lines of one product and sorts them by product id (every transaction locks rows in one order)', () => {
    expect(mergeLines([{ productId: 3, quantity: 1 }, { productId: 1, quantity: 2 }, { productId: 3, quantity: 4 }])).toEqual([
      { productId: 1, quantity: 2 },
      { productId: 3, quantity: 5 },
    ]);
  });

  it('reserves every line in one unit of work and records one movement per product', async () => {
    const rows = { 1: { stock: 5, reserved: 0, fence: 0, version: 1 }, 2: { stock: 5, reserved: 0, fence: 0, version: 1 } };
    const repository = fakeRepository(rows);
    const { work, opened } = fakeWork();
    const service = new InventoryService(repository as unknown as InventoryRepository, locks, {} as ProductRepository, work, repository as unknown as ProductStock);
    await service.reserveStock([{ productId: 2, quantity: 1 }, { productId: 1, quantity: 2 }, { productId: 2, quantity: 1 }], { reference: 'r-1' });
    expect(opened.count).toBe(1);
    expect(repository.movements.map((m) => [m.productId, m.reservedDelta, m.reference])).toEqual([
      [1, 2, 'r-1'],
      [2, 2, 'r-1'],
    ]);
  });

  it('names every short line, with what is available, and records nothing', async () => {
    const rows = { 1: { stock: 1, reserved: 0, fence: 0, version: 1 }, 2: { stock: 3, reserved: 3, fence: 0, version: 1 }, 3: { stock: 9, reserved: 0, fence: 0, version: 1 } };
    const repository = fakeRepository(rows);
    const service = new InventoryService(repository as unknown as InventoryRepository, locks, {} as ProductRepository, fakeWork().work, repository as unknown as ProductStock);
    const refused = service.reserveStock([{ productId: 1, quantity: 2 }, { productId: 2, quantity: 1 }, { productId: 3, quantity: 1 }]);
    await expect(refused).rejects.toBeInstanceOf(InsufficientStockError);
    await expect(refused).rejects.toMatchObject({ lines: [{ productId: 1, requested: 2, available: 1 }, { productId: 2, requested: 1, available: 0 }] });
    expect(repository.movements).toEqual([]);
  });

  it('decides a group of reservations in arrival order, each filled completely or refused, from one locking read', async () => {
    const rows = { 1: { stock: 5, reserved: 1, fence: 0, version: 1 }, 2: { stock: 2, reserved: 0, fence: 0, version: 1 } };
    const repository = fakeRepository(rows);
    const service = new InventoryService(repository as unknown as InventoryRepository, locks, {} as ProductRepository, fakeWork().work, repository as unknown as ProductStock);
    const { decisions, prices } = await service.allocate([
      [{ productId: 2, quantity: 1 }, { productId: 1, quantity: 3 }],
      [{ productId: 1, quantity: 2 }], // 1 left of product 1: refused, nothing of it applied
      [{ productId: 2, quantity: 1 }, { productId: 7, quantity: 1 }], // no product 7
      [{ productId: 1, quantity: 1 }, { productId: 2, quantity: 1 }],
    ]);
    expect(repository.locked).toEqual([[1, 2, 7]]);
    expect(prices).toEqual(new Map([[1, '1.00'], [2, '2.00']]));
    expect(decisions.map((decision) => decision && decision.code)).toEqual([null, 'INSUFFICIENT_STOCK', 'PRODUCT_NOT_FOUND', null]);
    expect(decisions[1]).toMatchObject({ lines: [{ productId: 1, requested: 2, available: 1 }] });
    // Product 1: 3 + 1 reserved on top of 1; product 2: 1 + 1. Nothing oversold.
    expect(rows[1].reserved).toBe(5);
    expect(rows[2].reserved).toBe(2);
    const movements = await service.recordReservations(
      [
        { lines: [{ productId: 2, quantity: 1 }, { productId: 1, quantity: 3 }], context: { reference: 'a' } },
        { lines: [{ productId: 1, quantity: 1 }, { productId: 2, quantity: 1 }], context: { reference: 'b' } },
      ],
      { now: new Date(0), idStep: 1 },
    );
    expect(movements.map((group) => group.map((m) => [m.productId, m.reservedDelta, m.reference]))).toEqual([
      [[1, 3, 'a'], [2, 1, 'a']],
      [[1, 1, 'b'], [2, 1, 'b']],
    ]);
  });

  it('refuses to decide a group outside a unit of work (its row locks would end before the group commits)', async () => {
    const repository = fakeRepository({});
    const work = { active: false } as unknown as UnitOfWork;
    const service = new InventoryService(repository as unknown as InventoryRepository, locks, {} as ProductRepository, work, repository as unknown as ProductStock);
    await expect(service.allocate([[{ productId: 1, quantity: 1 }]])).rejects.toThrow(/unit of work/);
  });

  it('adjusts under the lock with its fencing token, and tells a stale token from too little stock', async () => {
    const rows = { 1: { stock: 2, reserved: 1, fence: 0, version: 1 } };
    const repository = fakeRepository(rows);
    const retired = jest.fn(async () => undefined);
    const service = new InventoryService(repository as unknown as InventoryRepository, locks, { afterExternalWrites: retired } as unknown as ProductRepository, fakeWork().work, repository as unknown as ProductStock);
    const { levels } = await service.adjust(1, 3, 'delivery');
    expect(levels).toMatchObject({ stock: 5, reserved: 1, available: 4 });
    expect(repository.movements[0]).toMatchObject({ type: 'adjustment', stockDelta: 3, fencingToken: 5 });
    expect(retired).toHaveBeenCalledWith([{ id: 1, version: 2 }]);
    // The same token again: a newer (equal) one was applied, so this holder lost its lock.
    await expect(service.applyAdjustment(1, 1, 'late', 5)).rejects.toBeInstanceOf(StaleFencingTokenError);
    await expect(service.applyAdjustment(1, -5, 'too much', 6)).rejects.toMatchObject({ lines: [{ productId: 1, requested: 5, available: 4 }] });
  });

  it('retires each product of a committed sale once, in one call', async () => {
    const rows = { 1: { stock: 2, reserved: 0, fence: 0, version: 3 }, 2: { stock: 2, reserved: 0, fence: 0, version: 7 } };
    const retired = jest.fn(async () => undefined);
    const service = new InventoryService(fakeRepository(rows) as unknown as InventoryRepository, locks, { afterExternalWrites: retired } as unknown as ProductRepository, fakeWork().work, fakeRepository(rows) as unknown as ProductStock);
    await service.afterStockCommitted([2, 1, 2]);
    expect(retired).toHaveBeenCalledTimes(1);
    expect(retired).toHaveBeenCalledWith([{ id: 2, version: 7 }, { id: 1, version: 3 }]);
  });
});
