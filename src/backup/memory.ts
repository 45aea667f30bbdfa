// Keeping a long copy's memory flat. Read buffers are garbage as soon as they are written on, but V8
// collects external (ArrayBuffer) memory only after about 64 MiB of growth, so a stream of 1 MiB
// chunks holds ~70 MiB of dead buffers at any time. A young-generation collection (a scavenge: a
// millisecond on pgward's small heap) every `everyBytes` frees them early. --expose-gc is switched on
// at run time for this one purpose; when V8 refuses, nothing changes but the memory figure.
import v8 from 'node:v8';
import vm from 'node:vm';

type Gc = (options?: { type: 'minor' | 'major' }) => void;
let gc: Gc | undefined | null = null;

function loadGc(): Gc | undefined {
  if (gc !== null) return gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as Gc;
  } catch {
    gc = undefined;
  }
  return gc;
}

export class BufferReleaser {
  private since = 0;
  constructor(private readonly everyBytes = 8 * 1024 * 1024) {}

  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.everyBytes) return;
    this.since = 0;
    loadGc()?.({ type: 'minor' });
  }
}
