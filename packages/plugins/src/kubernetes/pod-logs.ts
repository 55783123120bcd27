/**
 * A pod's log as a stream, straight from the API server (GET .../pods/NAME/log). The client's own
 * `Log` class turns every failure into "Error occurred in log request" (HTTP 500), which hides the
 * one thing GoDocker must tell apart: a server that does not answer. This asks with Node's https
 * and the kubeconfig's credentials, and keeps the real error.
 *
 * Kubernetes keeps one log per container with stdout and stderr interleaved; reading them apart
 * (`stream=Stdout`, `stream=Stderr`) needs the PodLogsQuerySplitStreams feature gate on the API server
 * and the kubelets (alpha, off by default through 1.34). An API server without it refuses the
 * parameter (422, "stream: Forbidden: may not be specified"): `isSplitRefused` tells.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';

export interface PodLogOptions {
  follow: boolean;
  signal?: AbortSignal;
  /** One stream only; absent: both, interleaved. */
  stream?: 'Stdout' | 'Stderr';
}

/** The API server does not know `stream` (its PodLogsQuerySplitStreams gate is off). */
export function isSplitRefused(error: unknown): boolean {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return cause instanceof ApiException && (cause.code === 422 || cause.code === 400) && /stream/i.test(String(cause.body));
}

export async function podLog(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  o: PodLogOptions,
): Promise<Readable> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(
    `${cluster.server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
  );
  url.searchParams.set('container', container);
  if (o.follow) url.searchParams.set('follow', 'true');
  if (o.stream) url.searchParams.set('stream', o.stream);
  const options: https.RequestOptions = { method: 'GET', headers: {} };
  await kc.applyToHTTPSOptions(options);
  const client = url.protocol === 'http:' ? http : https;
  return new Promise<Readable>((resolve, reject) => {
    const req = client.request(url, { ...options, ...(o.signal ? { signal: o.signal } : {}) }, (res) => {
      if (res.statusCode === 200) {
        resolve(res);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        reject(new ApiException(res.statusCode ?? 500, `reading the log of pod ${pod}`, body, {}));
      });
    });
    req.on('error', reject);
    req.end();
  });
}
