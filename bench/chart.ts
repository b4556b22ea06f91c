/**
 * A horizontal bar chart as a standalone SVG (no library, no fonts to load), written by the
 * benches next to docs/BENCHMARKS.md so the summary there shows the latest run of each.
 */
export interface Bar {
  label: string;
  value: number;
  /** Printed after the bar (e.g. "0.93x peer, p99 8 ms"). */
  note?: string;
  /** Bars of the same group share a colour (e.g. "baseline", "stockroom"). */
  group?: string;
}

const COLOURS: Record<string, string> = { baseline: '#9aa5b1', peer: '#e8a33d', stockroom: '#2f7ed8' };
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function barChartSvg(title: string, subtitle: string, bars: Bar[], unit: string): string {
  const labelWidth = 330;
  const barWidth = 360;
  const noteWidth = 360;
  const rowHeight = 26;
  const top = 58;
  const width = labelWidth + barWidth + noteWidth;
  const height = top + bars.length * rowHeight + 16;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const rows = bars.map((bar, i) => {
    const y = top + i * rowHeight;
    const length = Math.max(1, Math.round((bar.value / max) * barWidth));
    const colour = COLOURS[bar.group ?? 'stockroom'] ?? COLOURS.stockroom;
    return [
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${length}" height="${rowHeight - 8}" fill="${colour}"/>`,
      `<text x="${labelWidth + length + 6}" y="${y + 16}">${escape(`${Math.round(bar.value).toLocaleString('en-US')} ${unit}${bar.note ? ` · ${bar.note}` : ''}`)}</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<text x="12" y="42" fill="#52606d">${escape(subtitle)}</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}
