// `caxton server start` settings: flags > CAXTON_* environment > --config file > defaults.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveSettings } from '../../dist/cli/commands/server.js';

const dir = mkdtempSync(join(tmpdir(), 'caxton-settings-'));
const file = join(dir, 'caxton.yaml');
writeFileSync(file, 'grpcPort: 7001\nhttpPort: 7002\nworkers: 3\nhost: 0.0.0.0\n');

t.test('defaults', async (t) => {
  const s = resolveSettings({}, {}, undefined);
  t.same(s, { dataDir: resolve('.caxton'), host: '127.0.0.1', grpcPort: 50051, httpPort: 8080, workers: undefined, logLevel: 'info', logMaxSize: '10m', journal: true, toolCommands: [], toolUrls: [] });
});

t.test('the journal: on by default, off by flag, environment (off/false) or file', async (t) => {
  t.equal(resolveSettings({ journal: false }, {}, undefined).journal, false);
  t.equal(resolveSettings({}, { CAXTON_JOURNAL: 'off' }, undefined).journal, false);
  t.equal(resolveSettings({}, { CAXTON_JOURNAL: 'false' }, undefined).journal, false);
  const off = join(dir, 'no-journal.yaml');
  writeFileSync(off, 'journal: false\n');
  t.equal(resolveSettings({}, {}, off).journal, false);
  t.equal(resolveSettings({ journal: true }, { CAXTON_JOURNAL: 'off' }, off).journal, true, 'the flag wins');
  t.throws(() => resolveSettings({}, { CAXTON_JOURNAL: 'maybe' }, undefined), /\$CAXTON_JOURNAL: journal must be true or false/);
});

t.test('file over defaults, env over file, flags over env', async (t) => {
  t.match(resolveSettings({}, {}, file), { grpcPort: 7001, httpPort: 7002, workers: 3, host: '0.0.0.0' });
  t.match(resolveSettings({}, { CAXTON_GRPC_PORT: '7101', CAXTON_WORKERS: '2' }, file), { grpcPort: 7101, httpPort: 7002, workers: 2 });
  t.match(resolveSettings({ grpcPort: 7201 }, { CAXTON_GRPC_PORT: '7101' }, file), { grpcPort: 7201, httpPort: 7002 });
  t.equal(resolveSettings({ dataDir: 'x/y' }, { CAXTON_DATA_DIR: '/elsewhere' }, undefined).dataDir, resolve('x/y'));
  t.equal(resolveSettings({}, { CAXTON_DATA_DIR: '/elsewhere' }, undefined).dataDir, '/elsewhere');
});

t.test('bad values say where they came from', async (t) => {
  t.throws(() => resolveSettings({}, { CAXTON_GRPC_PORT: 'http' }, undefined), /\$CAXTON_GRPC_PORT: grpcPort must be a port number/);
  t.throws(() => resolveSettings({ workers: 0 }, {}, undefined), /--workers: workers must be a whole number/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'grpcPrt: 1\n');
  t.throws(() => resolveSettings({}, {}, bad), /unknown setting "grpcPrt"/);
  t.throws(() => resolveSettings({}, {}, join(dir, 'missing.yaml')), /cannot read it/);
  t.throws(() => resolveSettings({ logLevel: 'bogus' }, {}, undefined), /logLevel must be one of trace, debug, info/);
});
