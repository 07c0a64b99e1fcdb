// A storming agent's throttling (issue #16, item 5) is visible to operators
// over the API: in the agent's REST view (maxSendsPerSecond, throttled) and
// as the Prometheus counter caxton_agents_throttled_total, which equals the
// runtime's stats().throttled.
import t from 'tap';
import { startTestServer, stopTestServer } from '../helpers/server.js';
import { b64 } from '../helpers/rest.js';
import { fixture } from '../helpers/agents.js';
import { parseExposition } from '../helpers/prometheus.js';
import { waitUntil } from '../helpers/wait.js';

t.test('a throttled agent shows in agents get and in /metrics', async (t) => {
  const s = await startTestServer();
  t.teardown(() => stopTestServer(s));
  const budget = 1000;
  const dep = await s.http('POST', '/v1/agents', { name: 'storm', module: b64(fixture('storm')), maxSendsPerSecond: budget });
  t.equal(dep.status, 201, dep.text);
  const sent = await s.http('POST', '/v1/agents/storm/messages', { performative: 'inform', content: 'go' });
  t.equal(sent.status, 202, sent.text);
  const got = await waitUntil(async () => (await s.http('GET', '/v1/agents/storm')).body, (a) => a.throttled >= 2, 'the storm throttled twice');
  t.equal(got.maxSendsPerSecond, budget, 'the budget as deployed');
  const metric = async (): Promise<number> => {
    const exp = parseExposition((await s.http('GET', '/metrics')).text);
    t.equal(exp.families.get('caxton_agents_throttled_total')?.type, 'counter');
    return exp.value('caxton_agents_throttled_total');
  };
  t.ok(await metric() >= 2, 'the counter counts the throttling');
  await s.http('DELETE', '/v1/agents/storm');
  // With the storm gone the count stops moving: the counter equals stats' total.
  const stats = (await s.http('GET', '/v1/stats')).body;
  t.equal(await metric(), s.server.runtime.stats().throttled, 'the counter is stats().throttled');
  t.ok(stats.agents === 0, 'the storm was removed');
});
