/**
 * Container ports as people write them (`8080`, `9090/udp`) and the env name a job
 * reads its host port from (`GODOCKER_PORT_8080`, `GODOCKER_PORT_9090_UDP`).
 */
import { ValidationError } from './errors.js';
import type { JobPort, PortProtocol, PortRequest } from './job.js';

/** `8080` (tcp) or `9090/udp`, as `--port` and the job file take it. */
export function parsePortSpec(text: string): PortRequest {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(text.trim());
  const port = m ? Number(m[1]) : Number.NaN;
  if (!m || port < 1 || port > 65535) {
    throw new ValidationError(
      `port "${text}" is not PORT or PORT/PROTOCOL with PORT 1-65535 and PROTOCOL tcp or udp (e.g. 8080, 9090/udp)`,
      'container.ports',
    );
  }
  const protocol = m[2]?.toLowerCase() as PortProtocol | undefined;
  return protocol === undefined || protocol === 'tcp' ? { containerPort: port } : { containerPort: port, protocol };
}

/** `8080/tcp`: the form Docker and people use. */
export function portText(p: Pick<JobPort, 'containerPort' | 'protocol'>): string {
  return `${p.containerPort}/${p.protocol}`;
}

/** The variable a job finds its host port in: tcp has the short name, as most ports are tcp. */
export function portEnvName(p: Pick<JobPort, 'containerPort' | 'protocol'>): string {
  return p.protocol === 'tcp' ? `GODOCKER_PORT_${p.containerPort}` : `GODOCKER_PORT_${p.containerPort}_UDP`;
}
