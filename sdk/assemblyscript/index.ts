// Caxton agent SDK for AssemblyScript (agent ABI v1, docs/agent-abi.md).
// Import what you need from here; re-export the ABI exports from "./exports"
// in your agent's entry file. Guide: docs/sdk.md.

export * from "./abi";
export * from "./frame";
export * from "./msgpack";
export * from "./message";
export * from "./outbox";
export * from "./config";
export * from "./agent";
export * from "./ref";
export { utf8Equals, utf8Length, utf8Write, scratch } from "./memory";
export * from "./services";
export * from "./protocols";
export * from "./tools";
