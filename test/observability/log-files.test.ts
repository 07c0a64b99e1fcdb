// The server's log files are readable by its user only (issue #16, item 7):
// the folder 0700 and every file, rotated ones included, 0600, whatever the
// umask, like the token; a folder that existed with wider permissions is
// narrowed.
import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../dist/runtime/observability/logger.js';
import { waitUntil } from '../helpers/wait.js';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

t.test('log folder 0700, log files 0600, after rotation too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'caxton-logs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logs = join(dir, 'logs');
  mkdirSync(logs, { mode: 0o755 });
  chmodSync(logs, 0o755);
  const previous = process.umask(0o022);
  t.teardown(() => process.umask(previous));
  const logger = createLogger('info', { file: join(logs, 'caxton.log'), stderr: false, rotateSize: '1k' });
  t.equal(mode(logs), '700', 'the existing folder was narrowed');
  for (let i = 0; i < 100; i++) logger.info({ i }, 'x'.repeat(50));
  const files = await waitUntil(() => readdirSync(logs), (f) => f.length >= 2, 'a rotated log file');
  for (const f of files) t.equal(mode(join(logs, f)), '600', f);
});
