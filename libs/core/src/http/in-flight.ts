/**
 * Counts requests whose handlers are still running. The HTTP server's close only waits for
 * sockets: a client that hung up leaves its handler running, and shutdown must not close MySQL or
 * Redis under it. Fed by Fastify hooks (see configureFastify): a Nest interceptor would do the
 * same at half the route throughput.
 */
export class InFlightRequests {
  private running = 0;
  private waiters: Array<() => void> = [];

  get count(): number {
    return this.running;
  }

  start(): void {
    this.running++;
  }

  end(): void {
    this.running--;
    if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves true once nothing runs, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
