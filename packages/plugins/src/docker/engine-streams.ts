/**
 * What dockerode hands back for streamed and buffered answers, as the stream types Node code
 * expects. Shared by the executors that speak the Docker Engine API (docker, swarm).
 */
import { Readable } from 'node:stream';

export function asReadable(stream: NodeJS.ReadableStream): Readable {
  // dockerode hands back the HTTP response (a Readable); its types only promise the older interface.
  return stream instanceof Readable ? stream : new Readable().wrap(stream);
}

export function toBuffer(body: unknown): Buffer {
  // docker-modem hands back a Buffer unless the body parsed as JSON, which a multiplexed log never does.
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}
