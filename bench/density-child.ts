/**
 * Entry of the fresh process that makes one density measurement (started
 * by bench/density.ts with --expose-gc): reads its options from argv[2]
 * (JSON), reports progress and then the result over IPC, and exits.
 */
import { measureDensity, type DensityRun, type DensityRunOptions } from './density-run.js';

export type DensityChildMessage = { deployed: number } | { result: DensityRun } | { failed: string };

const send = (m: DensityChildMessage): Promise<void> => new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));

const options = JSON.parse(process.argv[2]!) as DensityRunOptions;
try {
  const result = await measureDensity(options, (deployed) => void send({ deployed }));
  await send({ result });
} catch (e) {
  await send({ failed: (e as Error).stack ?? String(e) });
}
process.disconnect();
