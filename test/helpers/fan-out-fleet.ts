// The fleet the log tests share: a hub on worker 1 forwards each message to
// left (worker 2) and right (worker 3), which forward it nowhere, so one Send
// makes one API line and three "handled" lines, on three threads, all in the
// Send's conversation; greeter answers on its own.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Lines one Send to the hub logs: the API thread's and one "handled" per agent. */
export const LINES_PER_SEND = 4;

/** Write that fleet as `fleet.yaml` in `dir`, with modules from `agentsDir` (dist/agents). */
export function writeFanOutFleet(dir: string, agentsDir: string): void {
  writeFileSync(join(dir, 'fleet.yaml'), `apiVersion: caxton.dev/v1
kind: Fleet
agents:
  - name: hub
    module: ${join(agentsDir, 'fan-out.wasm')}
    worker: 1
    config: { targets: [left, right] }
  - name: left
    module: ${join(agentsDir, 'fan-out.wasm')}
    worker: 2
    config: { targets: [] }
  - name: right
    module: ${join(agentsDir, 'fan-out.wasm')}
    worker: 3
    config: { targets: [] }
  - name: greeter
    module: ${join(agentsDir, 'greeter.wasm')}
`);
}
