/**
 * `work`, or a rejection with `message` once `ms` have passed (the timer is cleared either way and
 * never keeps the process alive). For calls whose client waits for a dependency rather than
 * failing (a reconnecting Redis, a queue), where the caller must not.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, message = `no answer within ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
