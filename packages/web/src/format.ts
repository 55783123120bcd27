/** How numbers and times read on the dashboard. */
import { formatDuration, formatMemory, type Job } from '@godocker/sdk/browser';

export { formatDuration, formatMemory };

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function formatCpu(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : cores.toFixed(2);
}

/** The job's name, or the first line of its script when it has none. */
export function jobTitle(job: Job): string {
  return job.meta.name || (job.command.script.split('\n')[0] ?? '').slice(0, 60);
}

/** A failure as a sentence: the API's typed errors carry one that says what to do. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
