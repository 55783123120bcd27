/**
 * The kubelet's stats summary read straight from the kubelet (`GET https://NODE:10250/stats/summary`),
 * as the metrics-server does. The kubelet authorizes `/stats/*` as `get` on `nodes/stats`, a read-only
 * right; reading it through the API server's node proxy instead needs `get` on `nodes/proxy`, which
 * reaches the kubelet's whole API (exec into any pod of the node included), so this is the default.
 *
 * Credentials are the kubeconfig's (its token or client certificate, which the kubelet checks with
 * the API server); the kubelet's serving certificate is checked against `kubeletCaFile`, else the
 * cluster's CA, unless `kubeletInsecureTls` (for kubelets with self-signed certificates).
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { ConfigError, ExecutorError } from '@godocker/sdk';
import { ApiException, type KubeConfig, type V1Node } from '@kubernetes/client-node';

/** How long one summary may take: the sampler gives up on a reading after 5 s anyway. */
const SUMMARY_TIMEOUT_MS = 5_000;
/** The largest summary read: a node of 110 pods answers well under 1 MiB. */
const SUMMARY_MAX_BYTES = 16 * 1024 * 1024;
/** The address kinds tried in turn, as the API server's --kubelet-preferred-address-types default. */
const ADDRESS_TYPES = ['InternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS', 'ExternalIP'];

export interface KubeletEndpoint {
  host: string;
  port: number;
}

/** Where the node's kubelet listens, from its status; null when the node gives no address. */
export function kubeletEndpoint(node: V1Node): KubeletEndpoint | null {
  const addresses = node.status?.addresses ?? [];
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  for (const type of ADDRESS_TYPES) {
    const address = addresses.find((a) => a.type === type && a.address)?.address;
    if (address) return { host: address, port: typeof port === 'number' && port > 0 ? port : 10250 };
  }
  return null;
}

export interface KubeletTls {
  /** PEM of the CA the kubelets' serving certificates are checked against; absent: the cluster's. */
  caFile: string | null;
  insecure: boolean;
}

export class KubeletStats {
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly ca: Buffer | null;

  constructor(
    private readonly kc: KubeConfig,
    private readonly tls: KubeletTls,
  ) {
    try {
      this.ca = tls.caFile ? readFileSync(tls.caFile) : null;
    } catch (e) {
      throw new ConfigError(
        `kubernetes executor option kubeletCaFile: cannot read ${tls.caFile}: ${(e as Error).message}`,
        'executor.options.kubeletCaFile',
      );
    }
  }

  async summary(endpoint: KubeletEndpoint): Promise<unknown> {
    const options: https.RequestOptions = { method: 'GET', headers: {} };
    await this.kc.applyToHTTPSOptions(options);
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    const url = new URL(`https://${host}:${endpoint.port}/stats/summary`);
    const request: https.RequestOptions = {
      method: 'GET',
      headers: { ...options.headers, accept: 'application/json' },
      ...(options.cert ? { cert: options.cert } : {}),
      ...(options.key ? { key: options.key } : {}),
      ...((this.ca ?? options.ca) ? { ca: this.ca ?? options.ca } : {}),
      rejectUnauthorized: !this.tls.insecure,
      agent: this.agent,
      timeout: SUMMARY_TIMEOUT_MS,
    };
    const where = `the kubelet at ${url.host}`;
    return new Promise<unknown>((resolve, reject) => {
      const req = https.request(url, request, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > SUMMARY_MAX_BYTES)
            req.destroy(new ExecutorError(`${where} sent a stats summary over ${SUMMARY_MAX_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new ApiException(res.statusCode ?? 500, `${where} answered ${res.statusCode}: ${body.trim()}`, body, {}));
            return;
          }
          try {
            resolve(JSON.parse(body));
          } catch {
            reject(new ExecutorError(`${where} sent a stats summary that is not JSON`));
          }
        });
      });
      req.on('timeout', () => req.destroy(new ExecutorError(`${where} did not answer within ${SUMMARY_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
