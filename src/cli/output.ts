// stdout carries results only (tables, --json documents); everything else goes to stderr.
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: string[]): void {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

/** Two-column "label  value" block, skipping absent values. */
export function printFields(fields: Array<[string, string | number | undefined]>): void {
  const shown = fields.filter((field): field is [string, string | number] => field[1] !== undefined && field[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  printLines(shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`));
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (cells: string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  printLines([format(header), ...rows.map(format)]);
}
