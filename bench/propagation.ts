import { BENCH_ADMIN, benchSession, percentile, startApi, stop } from './support';

/** L1 propagation between two API processes: a PATCH answered by A, then B polled until it serves the change. */
export async function propagation(): Promise<string> {
  const [a, b] = await Promise.all([startApi(3311, { CACHE_L1_MAX_ITEMS: '20000' }), startApi(3312, { CACHE_L1_MAX_ITEMS: '20000' })]);
  const delays: number[] = [];
  try {
    const staff = await benchSession(a.url, BENCH_ADMIN);
    for (let i = 0; i < 100; i++) {
      const id = 1 + (i % 50);
      await fetch(`${b.url}/products/${id}`);
      await fetch(`${b.url}/products/${id}`);
      const name = `propagation ${Date.now()} ${i}`;
      const patched = await fetch(`${a.url}/products/${id}`, { method: 'PATCH', headers: { ...staff, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      if (patched.status !== 200) throw new Error(`PATCH answered ${patched.status}`);
      const started = performance.now();
      for (;;) {
        const body = (await (await fetch(`${b.url}/products/${id}`)).json()) as { name: string };
        if (body.name === name) break;
        if (performance.now() - started > 5_000) throw new Error('no convergence within 5 s');
      }
      delays.push(performance.now() - started);
    }
  } finally {
    await Promise.all([stop(a.child), stop(b.child)]);
  }
  const sorted = delays.sort((x, y) => x - y);
  return `L1 propagation (PATCH answered on A → B serves the new version), 100 updates: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms (includes one HTTP round trip to B per poll)`;
}
