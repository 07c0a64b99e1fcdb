// Host services an agent reaches by messaging them (docs/fipa.md):
//   "$contract-net"  runs a Contract Net task and replies INFORM with the outcome
//   "$df"            the directory: register / deregister / search capabilities
import { AgentRef } from "./ref";
import { compose, dispatch, setConversation } from "./outbox";
import { Performative } from "./frame";

const contractNet = new AgentRef("$contract-net");
const directory = new AgentRef("$df");

/**
 * Asks the host to run Contract Net: CFP `task` (raw msgpack bytes) to every
 * agent offering `capability`, proposals until `deadlineMs`, winner by
 * `select` ("lowest:price", "highest:score"...). The outcome arrives later as
 * an INFORM from "$contract-net" in conversation (convLo, convHi): a map with
 * status, winner, proposals, refusals, silent, result/failure, transcript.
 * Returns 0 or the send error.
 */
export function startContractNet(capability: string, taskPtr: usize, taskLen: i32, deadlineMs: i32, select: string, convLo: i32 = 0, convHi: i32 = 0): i32 {
  const dest = contractNet.resolve();
  if (dest < 0) return dest;
  const w = compose(dest, Performative.REQUEST);
  w.writeMapHeader(4);
  w.writeString("capability");
  w.writeString(capability);
  w.writeString("task");
  w.writeRaw(taskPtr, taskLen);
  w.writeString("deadlineMs");
  w.writeInt(deadlineMs);
  w.writeString("select");
  w.writeString(select);
  setConversation(convLo, convHi);
  return dispatch();
}

/** The slot of the "$contract-net" service (to recognise its replies). */
export function contractNetSlot(): i32 {
  return contractNet.resolve();
}

/** Registers this agent as offering `capability`; the host replies INFORM. */
export function registerCapability(capability: string): i32 {
  return directoryRequest("register", capability);
}

/** Withdraws `capability`; the host replies INFORM. */
export function deregisterCapability(capability: string): i32 {
  return directoryRequest("deregister", capability);
}

/** Asks for the agents offering `capability`; the host replies INFORM {capability, agents: [names]}. */
export function searchCapability(capability: string): i32 {
  return directoryRequest("search", capability);
}

function directoryRequest(action: string, capability: string): i32 {
  const dest = directory.resolve();
  if (dest < 0) return dest;
  const w = compose(dest, Performative.REQUEST);
  w.writeMapHeader(2);
  w.writeString("action");
  w.writeString(action);
  w.writeString("capability");
  w.writeString(capability);
  return dispatch();
}
