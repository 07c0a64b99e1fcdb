/**
 * Loading caxton.v1 from the .proto files at run time (@grpc/proto-loader).
 * The server (api/grpc.ts) and the CLI's clients (cli/client.ts) share it,
 * so a client loads the protos without loading the server.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AgentProto } from './generated/agent.js';
import type { ProtoGrpcType as MessageProto } from './generated/message.js';
import type { ProtoGrpcType as TaskProto } from './generated/task.js';
import type { ProtoGrpcType as ManagementProto } from './generated/management.js';
import type { ProtoGrpcType as LogProto } from './generated/log.js';
import type { ProtoGrpcType as ToolProto } from './generated/tool.js';

/** proto/ at the package root: this file runs as dist/proto/load.js, two levels below it. */
export const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');
export const PROTO_FILES = ['caxton/v1/agent.proto', 'caxton/v1/message.proto', 'caxton/v1/task.proto', 'caxton/v1/management.proto', 'caxton/v1/log.proto', 'caxton/v1/tool.proto'];

/** Must match scripts/gen-proto.mjs, or the generated types would lie. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR],
};

export type CaxtonGrpc = AgentProto & MessageProto & TaskProto & ManagementProto & LogProto & ToolProto;

export function loadPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
}

/** The typed service constructors (servers and clients). */
export function loadCaxtonGrpc(definition = loadPackageDefinition()): CaxtonGrpc {
  return grpc.loadPackageDefinition(definition) as unknown as CaxtonGrpc;
}
