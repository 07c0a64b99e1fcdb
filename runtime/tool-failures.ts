/** The failure codes of tool calls through $mcp (runtime/tools/tool-host.ts; docs/errors.md, Tool call failures). */
/**
 * Why `$mcp` answered a tool call with `failure` (the reply's content is
 * {code, message, hint}); stable codes listed in docs/errors.md.
 */
export const ToolFailure = Object.freeze({
  TOOL_REQUEST_INVALID: 'TOOL_REQUEST_INVALID',
  TOOL_NOT_ALLOWED: 'TOOL_NOT_ALLOWED',
  TOOL_NOT_FOUND: 'TOOL_NOT_FOUND',
  TOOL_ARGUMENTS_INVALID: 'TOOL_ARGUMENTS_INVALID',
  TOOL_TIMEOUT: 'TOOL_TIMEOUT',
  TOOL_SERVER_DOWN: 'TOOL_SERVER_DOWN',
  TOOL_SERVER_BUSY: 'TOOL_SERVER_BUSY',
  TOOL_RESULT_TOO_LARGE: 'TOOL_RESULT_TOO_LARGE',
  TOOL_ERROR: 'TOOL_ERROR',
} as const);
export type ToolFailure = (typeof ToolFailure)[keyof typeof ToolFailure];

/** What each tool failure means to the agent's author and what to do (docs/errors.md mirrors this). */
export const TOOL_FAILURE_HINTS: Readonly<Record<ToolFailure, string>> = Object.freeze({
  TOOL_REQUEST_INVALID: 'Send $mcp a request whose content is a map {tool: "server/name", arguments: {...}} (arguments may be left out), or a query-ref for the list of tools.',
  TOOL_NOT_ALLOWED: 'The agent\'s tools: list does not name this tool; add "server/tool" or "server/*" to it in the fleet manifest and deploy again. Nothing is allowed by default.',
  TOOL_NOT_FOUND: 'No tool server of that name is configured, or it has no tool of that name; a query-ref to $mcp lists what this agent may call.',
  TOOL_ARGUMENTS_INVALID: 'The arguments do not match the tool\'s input schema (the message names the field); a query-ref to $mcp gives each tool\'s schema.',
  TOOL_TIMEOUT: 'The tool server did not answer in time (the request\'s reply-by, else the server\'s timeoutMs, else 30 s); the call was cancelled. Retry, or give a later reply-by.',
  TOOL_SERVER_DOWN: 'The tool server is not running (it failed to start, crashed or hung up); Caxton restarts it with back-off. `caxton tools list` shows its state and last error; retry later.',
  TOOL_SERVER_BUSY: 'Too many calls wait for this tool server at once; retry shortly.',
  TOOL_RESULT_TOO_LARGE: 'The tool\'s result is larger than an agent may be sent (the frame limit); ask the tool for less (a page, a summary).',
  TOOL_ERROR: 'The tool server answered with an error instead of a result (the message has its text); fix the call or the tool server.',
});
