/**
 * The one-node Kubernetes cluster the kubernetes executor tests run against: the one
 * scripts/k8s-up.sh starts (real API server, scheduler, controllers, kubelet and containerd).
 * It must answer: a test run without it fails and says how to start it, it does not skip.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTcpCut, type TcpCut } from './tcp-cut.js';

export const KUBECONFIG = process.env.GODOCKER_K8S_KUBECONFIG ?? '/var/lib/godocker-ci/k8s/admin.kubeconfig';
const K8S_VERSION = process.env.GODOCKER_K8S_VERSION ?? 'v1.34.4';
export const KUBECTL = process.env.GODOCKER_KUBECTL ?? `/var/cache/godocker/k8s/${K8S_VERSION}/bin/kubectl`;
/** The node's name: the kubelet runs with --hostname-override 127.0.0.1. */
export const K8S_NODE = '127.0.0.1';

export function kubectl(...args: string[]): string {
  return execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Throws a readable error unless the cluster answers and its node is Ready. */
export function requireKubernetes(): void {
  let ready: string;
  try {
    ready = kubectl('get', 'node', K8S_NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').trim();
  } catch (error) {
    throw new Error(
      `the test Kubernetes cluster does not answer (${(error as Error).message.split('\n')[0]}): ` +
        'build and start it with `bash scripts/k8s-build.sh && bash scripts/k8s-up.sh`',
    );
  }
  if (ready !== 'True')
    throw new Error(`the test cluster's node ${K8S_NODE} is not Ready (${ready}): run \`bash scripts/k8s-up.sh\``);
}

/** A namespace of the test's own, deleted by the returned function (without waiting for its pods to go). */
export function testNamespace(prefix: string): { name: string; remove: () => void } {
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}`.toLowerCase();
  kubectl('create', 'namespace', name);
  return { name, remove: () => void kubectl('delete', 'namespace', name, '--wait=false') };
}

/**
 * A kubeconfig with the admin's credentials that reaches the API server through a relay the
 * caller can cut (helpers/tcp-cut.ts): the API server goes away for that client alone, while the
 * cluster and every other test go on. The server certificate names 127.0.0.1, whatever the port.
 */
export async function relayedKubeconfig(dir: string): Promise<{ relay: TcpCut; kubeconfig: string }> {
  const admin = await readFile(KUBECONFIG, 'utf8');
  const server = /server: https:\/\/([\d.]+):(\d+)/.exec(admin);
  if (!server) throw new Error(`no server: line in ${KUBECONFIG}`);
  const relay = await startTcpCut({ host: server[1] as string, port: Number(server[2]) });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, admin.replace(server[0], `server: https://127.0.0.1:${relay.port}`));
  return { relay, kubeconfig };
}
