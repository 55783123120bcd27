/**
 * A lean HTTP client for load: node:http on keep-alive connections, the body
 * serialised once. On 2 cores the client shares the machine with the daemon it
 * measures; the SDK client's fetch costs about 0.3 ms of CPU a request by itself,
 * which would cap the figure below what the daemon can do.
 */
import { Agent, request } from 'node:http';

export interface JsonReply {
  status: number;
  text: string;
}

export interface JsonPoster {
  /** POSTs `body` (already JSON) to `path`; resolves with the status and the answer's text. */
  post(path: string, body: string, headers?: Record<string, string>): Promise<JsonReply>;
  close(): void;
}

/** A client for `url` that keeps up to `connections` connections open, with the token on every request. */
export function jsonPoster(url: string, token: string, connections: number): JsonPoster {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return {
    post(path, body, headers = {}) {
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host: hostname,
            port,
            path,
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              authorization: `Bearer ${token}`,
              ...headers,
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
