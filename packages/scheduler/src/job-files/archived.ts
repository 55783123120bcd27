/** What the files and logs of an archived job answer: 410, saying when and what is left. */
import { ErrorCodes, GodockerError, type Job } from '@godocker/sdk';

export class JobArchivedError extends GodockerError {
  constructor(job: Job, archivedAt: string) {
    super(
      ErrorCodes.JOB_ARCHIVED,
      `job ${job.id} was archived on ${archivedAt.slice(0, 10)} (${archivedAt}): its files and logs were removed; ` +
        `its record and usage stay (\`godocker show ${job.id}\`)`,
    );
    this.name = 'JobArchivedError';
  }
}

export function refuseArchived(job: Job): void {
  if (job.status.archivedAt !== undefined) throw new JobArchivedError(job, job.status.archivedAt);
}
