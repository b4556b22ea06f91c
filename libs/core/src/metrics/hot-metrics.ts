import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What a prom-client registry reads from a metric when it is scraped (`get()`), in prom-client's own shape. */
interface CollectedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

function labelsOf(names: readonly string[], values: readonly string[]): Labels {
  if (values.length !== names.length) throw new Error(`expected ${names.length} label values (${names.join(', ')}), got ${values.length}`);
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

/**
 * Metrics for the request path. prom-client hashes the label set on every `inc`/`observe`, even
 * through `labels()`; here a label set is bound once (`series(...)`) and each event is a few
 * additions on plain numbers. The registry reads them on scrape in prom-client's format, so
 * `/metrics` and `registry.getSingleMetric()` see ordinary counters and histograms.
 */
abstract class HotMetric<S> {
  protected readonly bound = new Map<string, { labels: Labels; series: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of these label values, created on first use. */
  series(...values: string[]): S {
    const key = values.join('\u0000');
    let found = this.bound.get(key);
    if (!found) {
      found = { labels: labelsOf(this.labelNames, values), series: this.create() };
      this.bound.set(key, found);
    }
    return found.series;
  }

  reset(): void {
    this.bound.clear();
  }

  protected abstract create(): S;
}

export class CounterSeries {
  value = 0;

  inc(amount = 1): void {
    this.value += amount;
  }
}

export class HotCounter extends HotMetric<CounterSeries> {
  readonly type = 'counter';

  protected create(): CounterSeries {
    return new CounterSeries();
  }

  get(): CollectedMetric {
    const values = [...this.bound.values()].map(({ labels, series }) => ({ labels, value: series.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
}

export class HistogramSeries {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]) {
        this.counts[i] += 1;
        return;
      }
    }
  }
}

export class HotHistogram extends HotMetric<HistogramSeries> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], private readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.buckets);
  }

  get(): CollectedMetric {
    const values: MetricValue[] = [];
    for (const { labels, series } of this.bound.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i];
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
}
