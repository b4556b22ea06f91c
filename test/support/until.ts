const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The first truthy value `probe` gives, polling every `everyMs`; throws once `boundMs` has passed.
 * For conditions another process or connection makes true (a pub/sub message, a worker's job):
 * wait for the condition, never for a speed.
 */
export async function until<T>(probe: () => Promise<T>, boundMs = 60_000, everyMs = 50): Promise<T> {
  for (const started = Date.now(); ; await sleep(everyMs)) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > boundMs) throw new Error(`condition not met within ${boundMs} ms`);
  }
}
