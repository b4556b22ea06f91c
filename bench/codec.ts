/** `npm run bench:codec`: JSON vs MessagePack encode/decode speed and size, for a product and a 100-item page. */
import { CacheCodec, JsonCodec, MsgpackCodec } from '../libs/cache/src/codecs';
import { sampleProducts } from '@stockroom/catalog';
import { saveReport } from './support';

const products = sampleProducts(1, 100).map((p, i) => ({ ...p, id: i + 1, views: i * 3, version: 1, createdAt: new Date(), updatedAt: new Date() }));
const SAMPLES: Array<[string, unknown]> = [
  ['product', products[0]],
  ['list page (100 items)', { items: products, total: 10_000 }],
];

function opsPerSecond(work: () => void, ms = 1_000): number {
  for (let i = 0; i < 1_000; i++) work();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 100; i++) work();
    count += 100;
  }
  return Math.round(count / ((performance.now() - started) / 1000));
}

function main(): void {
  const rows = ['| value | codec | round | bytes | encode ops/s | decode ops/s |', '| --- | --- | --- | --- | --- | --- |'];
  const codecs: CacheCodec[] = [new JsonCodec(), new MsgpackCodec()];
  for (let round = 1; round <= 2; round++) {
    for (const [name, value] of SAMPLES) {
      for (const codec of codecs) {
        const bytes = codec.encode(value);
        rows.push(
          `| ${name} | ${codec.name} | ${round} | ${bytes.length} | ${opsPerSecond(() => codec.encode(value))} | ${opsPerSecond(() => codec.decode(bytes))} |`,
        );
      }
    }
  }
  saveReport('codec', ['msgpackr'], ['', rows.join('\n')]);
}

main();
