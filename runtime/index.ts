/** The in-process API of a Caxton server: what the gRPC and CLI layers call. */
export { Runtime } from './runtime.js';
export type { RuntimeOptions, AgentSpec, AgentInfo, AgentLimits, OutgoingMessage, DeadLetter, RuntimeStats, Endpoint } from './types.js';
export * from './errors.js';
export { ABI_VERSION, validateAgentModule } from './module/abi.js';
export { decodeFrame, encodeFrame, msgpack } from '../bus/frame.js';
export type { DecodedFrame } from '../bus/frame.js';
export { PERFORMATIVES, type Performative } from '../bus/layout.js';
export { createLogger, silentLogger, type Logger } from './observability/logger.js';
export type { ContractNetRequest, ContractNetOutcome, ContractNetStatus, TranscriptEntry } from './fipa/contract-net.js';
export { Directory } from './fipa/directory.js';
export { parseAcl, formatAcl } from './fipa/acl/string-codec.js';
export { validateMessage, type AclMessage, type AgentIdentifier } from './fipa/acl/message.js';
export { conversationKey } from './fipa/acl/bridge.js';
