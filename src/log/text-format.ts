// Turns one pino JSON line into the readable line shown on a terminal:
//   18:42:07 INFO  backing up cluster  cluster=15/main port=5433
// Colour only when the terminal allows it and NO_COLOR is unset (https://no-color.org).
const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '\x1b[90m' },
  20: { name: 'DEBUG', colour: '\x1b[36m' },
  30: { name: 'INFO ', colour: '\x1b[32m' },
  40: { name: 'WARN ', colour: '\x1b[33m' },
  50: { name: 'ERROR', colour: '\x1b[31m' },
  60: { name: 'FATAL', colour: '\x1b[35m' },
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);
const RESET = '\x1b[0m';

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

export function formatLogLine(jsonLine: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now());
  const clock = time.toTimeString().slice(0, 8);
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level), colour: '' };
  const fields = Object.entries(entry)
    .filter(([key]) => !OMIT.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(' ');
  const levelText = colour ? `${level.colour}${level.name}${RESET}` : level.name;
  let line = `${clock} ${levelText} ${String(entry.msg ?? '')}${fields ? `  ${fields}` : ''}`;
  const err = entry.err as { stack?: string } | undefined;
  if (err?.stack) line += `\n${err.stack}`;
  return `${line}\n`;
}
