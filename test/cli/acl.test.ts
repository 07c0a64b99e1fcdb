// `caxton acl parse|format` as a subprocess: stdin in, stdout out, exit 1 with
// the position for malformed input.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli/caxton.js', import.meta.url));
const caxton = (input: string, ...args: string[]) => spawnSync(process.execPath, [cli, 'acl', ...args], { input, encoding: 'utf8', timeout: 30_000 });

const weather = `(inform
  :sender (agent-identifier :name i)
  :receiver (set (agent-identifier :name j))
  :content "weather (today, raining)"
  :language Prolog)`;

t.test('parse prints the JSON model', async (t) => {
  const r = caxton(weather, 'parse');
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { performative: 'inform', sender: { name: 'i' }, receiver: [{ name: 'j' }], content: 'weather (today, raining)', language: 'Prolog' });
});

t.test('format writes the string form; parse(format(x)) = x', async (t) => {
  const json = { performative: 'cfp', sender: { name: 'manager' }, receiver: [{ name: 'c1' }, { name: 'c2' }], content: 'sell "100" widgets \\ now', protocol: 'fipa-contract-net', conversationId: 'c-42', replyBy: '2030-01-02T03:04:05.678Z' };
  const f = caxton(JSON.stringify(json), 'format');
  t.equal(f.status, 0, f.stderr);
  t.match(f.stdout, /^\(cfp\n/);
  t.match(f.stdout, /:reply-by 20300102T030405678Z/);
  const back = caxton(f.stdout, 'parse');
  t.equal(back.status, 0, back.stderr);
  t.same(JSON.parse(back.stdout), json);
});

t.test('malformed input exits 1 and names the position', async (t) => {
  const r = caxton('(inform :sender (agent-identifier :name a)\n  :content "never closed', 'parse');
  t.equal(r.status, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, /ACL_SYNTAX: unterminated string at 2:12 \(offset \d+\)/);
  t.match(r.stderr, /hint:/);
  const bad = caxton('{"performative": "inform", ', 'format');
  t.equal(bad.status, 1);
  t.match(bad.stderr, /INVALID_ARGUMENT: stdin: is not valid JSON/);
  const unknown = caxton('(shout :content "x")', 'parse');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /UNKNOWN_PERFORMATIVE/);
  const none = spawnSync(process.execPath, [cli, 'acl'], { encoding: 'utf8', timeout: 30_000 });
  t.equal(none.status, 1);
  t.match(none.stderr, /caxton acl parse/);
});
