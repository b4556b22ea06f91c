import { JsonRepresentation, loadConfig } from '@stockroom/core';
import type { RedisCacheService } from '@stockroom/cache';
import { AvailabilityBoard } from './availability-board';
import type { ProductRepository } from './product.repository';

describe('AvailabilityBoard', () => {
  const config = loadConfig({ ADMIN_PASSWORD: 'a long enough passphrase', CACHE_TTL_SECONDS: '600' });
  let rows: Array<{ id: number; available: number }>;
  let windows: number[];
  let board: AvailabilityBoard;

  beforeEach(() => {
    rows = [];
    windows = [];
    const products = {
      availabilityChangedWithin: jest.fn(async (ms: number) => {
        windows.push(ms);
        return rows;
      }),
    } as unknown as ProductRepository;
    board = new AvailabilityBoard(config, products, { enabled: true } as RedisCacheService);
  });

  afterEach(() => board.onModuleDestroy());

  it('reads at boot every change a cached copy may predate, then what changed since the last poll', async () => {
    await board.onApplicationBootstrap();
    expect(windows[0]).toBe(600_000 + 60_000 + 5_000);
    await board.refresh();
    // The time since the previous poll began, plus the lookback for late commits.
    expect(windows[1]).toBeGreaterThanOrEqual(5_000);
    expect(windows[1]).toBeLessThan(60_000);
  });

  it('lays the figure over a rendered product, with its own ETag, and only when it differs', async () => {
    const base = JsonRepresentation.of({ id: 7, stock: 10, available: 10 });
    expect(board.overlay(base, 7)).toBe(base);
    rows = [{ id: 7, available: 10 }];
    await board.refresh();
    expect(board.overlay(base, 7)).toBe(base);
    rows = [{ id: 7, available: 4 }];
    const version = board.version;
    await board.refresh();
    expect(board.version).toBe(version + 1);
    const overlaid = board.overlay(base, 7);
    expect(JSON.parse(overlaid.body)).toEqual({ id: 7, stock: 10, available: 4 });
    expect(overlaid.etag).not.toBe(base.etag);
    expect(board.overlay(base, 7)).toBe(overlaid);
    // An unchanged poll does not move the version (pages are not rendered again).
    await board.refresh();
    expect(board.version).toBe(version + 1);
  });

  it('keeps its figures when a poll fails, and covers the gap at the next one', async () => {
    rows = [{ id: 3, available: 1 }];
    await board.refresh();
    const products = (board as unknown as { products: { availabilityChangedWithin: jest.Mock } }).products;
    products.availabilityChangedWithin.mockRejectedValueOnce(new Error('MySQL away'));
    await board.refresh();
    expect(board.available(3)).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    await board.refresh();
    expect(windows.at(-1)).toBeGreaterThanOrEqual(5_030);
  });
});
