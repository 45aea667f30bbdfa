// The checks of one verification, in the order they ran, each with its outcome and time: the verdict
// names the first one that failed, --json and the stored record carry them all.
import { IntegrityError, PgwardError, VerificationFailedError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';

export interface CheckOutcome {
  name: string;
  ok: boolean;
  seconds: number;
  detail?: string;
}

export class CheckList {
  readonly checks: CheckOutcome[] = [];

  constructor(private readonly log: Logger) {}

  /**
   * Runs one check. An IntegrityError (a checksum, a missing object, a damaged WAL file) or a
   * VerificationFailedError condemns the backup; anything else (the storage, the scratch space, a
   * signal) is not the backup's fault and passes through unchanged, so its own exit code tells which.
   */
  async run<T>(name: string, work: () => Promise<T>, describe?: (value: T) => string): Promise<T> {
    const started = performance.now();
    const seconds = (): number => Math.round(performance.now() - started) / 1000;
    try {
      const value = await work();
      const detail = describe?.(value);
      this.checks.push({ name, ok: true, seconds: seconds(), ...(detail ? { detail } : {}) });
      this.log.info({ phase: 'check', check: name, ok: true, seconds: seconds() }, `${name}: ok${detail ? ` (${detail})` : ''} in ${seconds()} s`);
      return value;
    } catch (err) {
      const condemning = err instanceof IntegrityError || err instanceof VerificationFailedError;
      if (condemning) {
        this.checks.push({ name, ok: false, seconds: seconds(), detail: (err as PgwardError).message });
        throw err instanceof VerificationFailedError
          ? err
          : new VerificationFailedError(`${name} failed: ${err.message}`, { hint: err.hint ?? 'this backup cannot be trusted; use another backup and take a new one', cause: err });
      }
      throw err;
    }
  }

  get failed(): CheckOutcome | undefined {
    return this.checks.find((c) => !c.ok);
  }
}
