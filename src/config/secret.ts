// A credential that refuses to be printed: String(), JSON.stringify() and util.inspect() all show
// "[redacted]". Only reveal() gives the value, at the single place that hands it to a client library.
import { inspect } from 'node:util';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}
