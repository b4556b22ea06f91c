/** One item's outcome in a group commit: its value, or the error that item alone gets. */
export type Outcome<R> = { value: R } | { error: unknown };

export interface GroupCommitOptions {
  /** How long the first waiting item waits for company before its group is written (0: the next turn). */
  windowMs: number;
  /** A group is written at once when this many are waiting. */
  maxBatch: number;
  /** Groups being written at the same time; items arriving meanwhile wait and form the next groups. */
  maxInFlight: number;
}

export interface GroupWriter<T, R> {
  /** Writes a whole group (normally one transaction) and answers each item; throwing fails the group's write, not its items. */
  group(items: T[]): Promise<Array<Outcome<R>>>;
  /** One item on its own: what each item of a group whose write failed is retried with, in arrival order. */
  single(item: T): Promise<R>;
}

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent callers' items are gathered for a short window (or until `maxBatch`
 * wait) and written together, each item answered on its own. A caller's promise settles only
 * after its group's write has: nothing is answered before it is written. When the group's write
 * fails as a whole (a duplicate key, a deadlock), each item is written alone, so one bad item
 * never fails its group-mates.
 */
export class GroupCommit<T, R> {
  private waiting: Array<Waiting<T, R>> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly options: GroupCommitOptions,
    private readonly writer: GroupWriter<T, R>,
    private readonly observe: (size: number) => void = () => undefined,
  ) {}

  /** Items waiting for their group to start (not yet being written). */
  get pending(): number {
    return this.waiting.length;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.options.maxBatch) this.start();
      else this.timer ??= setTimeout(() => this.start(), this.options.windowMs);
    });
  }

  /** Writes everything waiting now, whatever the window and the in-flight cap, and waits for every group (shutdown). */
  async drain(): Promise<void> {
    while (this.waiting.length > 0 || this.running.size > 0) {
      this.start(Number.POSITIVE_INFINITY);
      await Promise.allSettled([...this.running]);
    }
  }

  private start(maxInFlight = this.options.maxInFlight): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.waiting.length > 0 && this.running.size < maxInFlight) {
      const group = this.waiting.splice(0, this.options.maxBatch);
      const written: Promise<void> = this.write(group).finally(() => {
        this.running.delete(written);
        // Items that waited for a free slot have waited long enough: their group starts now.
        if (this.waiting.length > 0) this.start();
      });
      this.running.add(written);
    }
  }

  private async write(group: Array<Waiting<T, R>>): Promise<void> {
    this.observe(group.length);
    let outcomes: Array<Outcome<R>>;
    try {
      outcomes = await this.writer.group(group.map((entry) => entry.item));
    } catch (error) {
      if (group.length === 1) return group[0].reject(error);
      for (const entry of group) await this.writer.single(entry.item).then(entry.resolve, entry.reject);
      return;
    }
    group.forEach((entry, index) => {
      const outcome = outcomes[index];
      if (outcome && 'value' in outcome) entry.resolve(outcome.value);
      else entry.reject(outcome ? outcome.error : new Error('group commit returned no outcome for an item'));
    });
  }
}
