/**
 * DRMAA2's MonitoringSession: what the caller may see of the whole system, not
 * only of one session. Machines are the executor's nodes; queues are projects.
 *
 * ```ts
 * const monitor = await manager.createMonitoringSession();
 * const running = await monitor.getAllJobs({ jobState: 'RUNNING' });
 * const [machine] = await monitor.getAllMachines();
 * ```
 */
import type { GodockerClient } from '../client.js';
import { InvalidSessionError } from '../drmaa-errors.js';
import type { Quota } from '../projects.js';
import { SessionJob } from './job.js';
import { filterToQuery, type JobInfoFilter } from './job-info.js';

/** DRMAA2's MachineInfo, for a GoDocker node. */
export interface Machine {
  name: string;
  available: boolean;
  /** Cpu cores jobs may use. */
  cpus: number;
  /** KiB, as DRMAA2 counts memory. */
  physicalMemory: number;
  gpus: number;
  labels: Record<string, string>;
}

/** DRMAA2's QueueInfo, for a GoDocker project (the caller's own, or every one for an admin). */
export interface QueueInfo {
  name: string;
  description: string;
  shares: number;
  priority: number;
  quota: Quota;
  members: string[];
}

export class MonitoringSession {
  readonly #client: GodockerClient;
  #closed = false;

  constructor(client: GodockerClient) {
    this.#client = client;
  }

  #open(): GodockerClient {
    if (this.#closed) throw new InvalidSessionError('this monitoring session was closed');
    return this.#client;
  }

  /** Every job the caller may see (an admin: everyone's), array tasks rather than their parents, newest first. */
  async getAllJobs(filter: JobInfoFilter = {}): Promise<SessionJob[]> {
    const client = this.#open();
    const query = filterToQuery(filter);
    if (query === null) return [];
    const jobs: SessionJob[] = [];
    for await (const job of client.jobs({ ...query, arrayParents: false, limit: 1000 })) jobs.push(new SessionJob(client, job));
    return jobs;
  }

  /** The nodes jobs run on; `names` narrows the list. */
  async getAllMachines(names?: readonly string[]): Promise<Machine[]> {
    const info = await this.#open().info();
    return info.nodes
      .filter((n) => names === undefined || names.includes(n.name))
      .map((n) => ({ name: n.name, available: true, cpus: n.cpu, physicalMemory: n.ram * 1024, gpus: n.gpus, labels: n.labels }));
  }

  /** The projects jobs may be charged to (DRMAA's queues); `names` narrows the list. */
  async getAllQueues(names?: readonly string[]): Promise<QueueInfo[]> {
    const projects = await this.#open().listProjects();
    return projects
      .filter((p) => names === undefined || names.includes(p.name))
      .map((p) => ({
        name: p.name,
        description: p.description,
        shares: p.shares,
        priority: p.priority,
        quota: p.quota,
        members: p.members.map((m) => m.user),
      }));
  }

  close(): void {
    this.#closed = true;
  }
}
