/** The kubernetes executor plugin: one namespace of a Kubernetes cluster; one batch/v1 Job per job. */

export { type KubernetesExecutorOptions, parseKubernetesOptions, type ResolvedKubernetesOptions } from './kube-options.js';
export { createKubernetesExecutor, loadKubeConfig } from './kubernetes-executor.js';
