/**
 * Reused connections to the API server. `@kubernetes/client-node` 1.4 makes a new https.Agent for
 * every request (KubeConfig.createAgent, from applySecurityAuthentication and applyToFetchOptions;
 * kubernetes-client/javascript#2893), so every call paid a TCP connect and a full TLS handshake:
 * measured by bench/k8s-throughput, TLS set-up was the largest part of the daemon's CPU per job.
 * This gives a KubeConfig one keep-alive agent per set of TLS options instead. The method is
 * private in the package's types, so it is replaced on the instance.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';

type AgentOptions = Record<string, unknown>;
type CreateAgent = (cluster: Cluster | null, options: AgentOptions) => Agent;

function keyOf(cluster: Cluster | null, options: AgentOptions): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([cluster?.server, cluster?.proxyUrl, cluster?.skipTLSVerify]));
  for (const name of Object.keys(options).sort()) {
    const value = options[name];
    if (value === undefined) continue;
    hash.update(name);
    hash.update(Buffer.isBuffer(value) ? value : (JSON.stringify(value) ?? ''));
  }
  return hash.digest('hex');
}

/** Returns what closes the pooled connections (when the executor closes). */
export function poolAgents(kc: KubeConfig): () => void {
  const target = kc as unknown as { createAgent: CreateAgent };
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, options) => {
    const key = keyOf(cluster, options);
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  return () => {
    for (const agent of agents.values()) agent.destroy();
    agents.clear();
  };
}
