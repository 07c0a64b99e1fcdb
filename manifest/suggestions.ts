/**
 * Suggestions for misspelt field names: edit distance to the known fields
 * and their leading words, and aliases for words people use instead.
 */

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Words people use for a field, that are too far from its name for the edit distance. */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  version: 'apiVersion', api: 'apiVersion', type: 'kind', meta: 'metadata', agent: 'agents', agentlist: 'agents',
  mem: 'memoryLimitBytes', memorylimit: 'memoryLimitBytes', memorybytes: 'memoryLimitBytes', maxmemory: 'memoryLimitBytes', ram: 'memoryLimitBytes',
  timeout: 'timeLimitMs', timeoutms: 'timeLimitMs', timelimit: 'timeLimitMs', deadline: 'timeLimitMs', deadlinems: 'timeLimitMs',
  replicas: 'instances', replicacount: 'instances', count: 'instances', scale: 'instances', copies: 'instances',
  caps: 'capabilities', capability: 'capabilities', offers: 'capabilities', services: 'capabilities', skills: 'capabilities',
  wasm: 'module', path: 'module', file: 'module', image: 'module', binary: 'module', src: 'module', source: 'module',
  cfg: 'config', conf: 'config', configuration: 'config', settings: 'config', params: 'config', parameters: 'config', args: 'config', options: 'config', env: 'config',
  thread: 'worker', pin: 'worker', workerid: 'worker',
  queue: 'mailbox', queuesize: 'mailbox', inbox: 'mailbox',
  ratelimit: 'maxSendsPerSecond', sendrate: 'maxSendsPerSecond', maxsends: 'maxSendsPerSecond', sendbudget: 'maxSendsPerSecond',
  id: 'name', agentname: 'name',
  mcp: 'tools', mcpservers: 'tools', toolservers: 'tools', servers: 'tools', allowedtools: 'tools', allow: 'tools', allowlist: 'tools',
  cmd: 'command', exec: 'command', program: 'command', executable: 'command', argv: 'args', arguments: 'args',
  environment: 'env', envvars: 'env', dir: 'cwd', workdir: 'cwd', workingdir: 'cwd', workingdirectory: 'cwd', directory: 'cwd',
  endpoint: 'url', uri: 'url', address: 'url', token: 'tokenEnv', tokenvar: 'tokenEnv', bearer: 'tokenEnv', secret: 'tokenEnv',
};

function normalise(s: string): string {
  return s.toLowerCase().replace(/[-_ .]/g, '');
}

/** The known field closest to `given` (a typo, another casing, snake_case, a common synonym), if any is close. */
export function suggestField(given: string, known: readonly string[]): string | undefined {
  const g = normalise(given);
  if (g === '') return undefined;
  const alias = FIELD_ALIASES[g];
  if (alias && known.includes(alias)) return alias;
  const limit = g.length <= 4 ? 1 : g.length <= 8 ? 2 : 3;
  let best: { field: string; score: number } | undefined;
  for (const field of known) {
    // the field and its leading words: memoryLimitBytes → memory, memorylimit, memorylimitbytes
    const words = field.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
    let score = Infinity;
    for (let n = 1; n <= words.length; n++) {
      const prefix = words.slice(0, n).join('');
      if (prefix.length < 4 && n < words.length) continue;
      score = Math.min(score, editDistance(g, prefix));
      if (prefix.length >= 4 && g.startsWith(prefix)) score = Math.min(score, 1);
    }
    if (score <= limit && score < g.length && (!best || score < best.score)) best = { field, score };
  }
  return best?.field;
}
