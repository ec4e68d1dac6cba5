/** Waiting for the shared machine to go quiet before a run (`--wait-quiet`). */
import { CpuMeter } from './services.js';

/** Waits until the machine is mostly idle (other engineers' suites share these cores), or gives up. */
export async function waitQuiet(maxS: number, log: (line: string) => void): Promise<void> {
  const deadline = performance.now() + maxS * 1000;
  for (;;) {
    const meter = new CpuMeter(() => new Map());
    meter.begin();
    await new Promise((r) => setTimeout(r, 5000));
    const busy = meter.end().machineBusy;
    if (busy < 0.25) {
      log(`machine quiet (${Math.round(busy * 100)}% busy over 5 s)`);
      return;
    }
    if (performance.now() > deadline) {
      log(`machine still ${Math.round(busy * 100)}% busy after ${maxS} s; starting anyway (see the load table)`);
      return;
    }
    log(`machine ${Math.round(busy * 100)}% busy; waiting for quiet`);
  }
}
