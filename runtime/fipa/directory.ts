/**
 * The directory (FIPA's directory facilitator): which agents offer which
 * capability. Filled from deploy specs (`capabilities`) and at run time by
 * agents themselves (a REQUEST to the `df` endpoint: see docs/fipa.md).
 */
export class Directory {
  private readonly byCapability = new Map<string, Set<string>>();
  private readonly byAgent = new Map<string, Set<string>>();

  register(agent: string, capability: string): void {
    let agents = this.byCapability.get(capability);
    if (!agents) this.byCapability.set(capability, (agents = new Set()));
    agents.add(agent);
    let caps = this.byAgent.get(agent);
    if (!caps) this.byAgent.set(agent, (caps = new Set()));
    caps.add(capability);
  }

  deregister(agent: string, capability?: string): void {
    const caps = this.byAgent.get(agent);
    if (!caps) return;
    for (const c of capability === undefined ? [...caps] : [capability]) {
      caps.delete(c);
      const agents = this.byCapability.get(c);
      agents?.delete(agent);
      if (agents?.size === 0) this.byCapability.delete(c);
    }
    if (caps.size === 0) this.byAgent.delete(agent);
  }

  /** Agents offering `capability`, in name order. */
  search(capability: string): string[] {
    return [...(this.byCapability.get(capability) ?? [])].sort();
  }

  capabilitiesOf(agent: string): string[] {
    return [...(this.byAgent.get(agent) ?? [])].sort();
  }

  capabilities(): string[] {
    return [...this.byCapability.keys()].sort();
  }
}
