// Tests of the {{name}} agent with the Caxton test kit (`caxton test` runs
// them with node:test; docs/testing.md). Build first: `caxton build`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { TestKit } from 'caxton/testing';

const module = fileURLToPath(new URL('./build/{{name}}.wasm', import.meta.url));

test('{{name}} says hello and logs how many it answered', async () => {
  const kit = await TestKit.start();
  try {
    await kit.deploy('{{name}}', module);
    const reply = await kit.request('{{name}}', 'world');
    assert.equal(reply.performative, 'inform');
    assert.equal(reply.content, 'hello, world');
    await kit.request('{{name}}', 'again');
    await kit.waitForLog('{{name}}', 'answered 2');
  } finally {
    await kit.stop();
  }
});
