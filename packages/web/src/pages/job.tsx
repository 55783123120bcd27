/**
 * One job: what it is, where it is in its life (kept current by the event stream), why it
 * waits, its state history, its logs as they are written, its files, its usage, and the
 * actions its state allows.
 */
import { ACTION_FROM, isTerminal, JOB_ACTIONS, type Job, type JobAction } from '@godocker/sdk/browser';
import { useEffect, useState } from 'preact/hooks';
import { StateBadge } from '../components/state-badge.js';
import { formatCpu, formatMemory, formatTime, jobTitle, messageOf } from '../format.js';
import { useJobEvents } from '../live-events.js';
import { onLinkClick } from '../router.js';
import { useSession } from '../session.js';
import { JobFiles } from './job-files.js';
import { JobLogs } from './job-logs.js';
import { JobUsage } from './job-usage.js';
import { WhyItWaits } from './why-it-waits.js';

export function JobPage(props: { id: number }) {
  const { client } = useSession();
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setJob(null);
    setError(null);
    client
      .getJob(props.id)
      .then(setJob)
      .catch((e: unknown) => setError(messageOf(e)));
  }, [client, props.id]);
  useJobEvents(client, (event) => {
    if (event.job.id === props.id) setJob(event.job);
  });

  if (error)
    return (
      <section>
        <h1>Job {props.id}</h1>
        <p role="alert" class="error">
          {error}
        </p>
      </section>
    );
  if (!job)
    return (
      <section>
        <h1>Job {props.id}</h1>
        <p role="status">Loading…</p>
      </section>
    );
  const s = job.status;
  return (
    <article aria-labelledby="job-title" class="job">
      <div class="title-row">
        <h1 id="job-title">
          Job {job.id} <span class="muted">{jobTitle(job)}</span>
        </h1>
        <span data-testid="job-state">
          <StateBadge state={s.state} />
        </span>
      </div>
      <p class="reason">{s.reason}</p>
      <Actions job={job} onChanged={setJob} />
      <div class="grid">
        <section class="card" aria-labelledby="facts">
          <h2 id="facts">Details</h2>
          <dl class="facts">
            <dt>User</dt>
            <dd>{job.user.name}</dd>
            <dt>Project</dt>
            <dd>{job.project}</dd>
            <dt>Image</dt>
            <dd>{job.container.image}</dd>
            <dt>Asked for</dt>
            <dd>
              {formatCpu(job.requirements.cpu)} cpu, {formatMemory(job.requirements.ram)}
              {job.requirements.gpus ? `, ${job.requirements.gpus} gpus` : ''}
              {job.requirements.timeLimit ? `, ${job.requirements.timeLimit} s` : ''}
            </dd>
            <dt>Node</dt>
            <dd>{s.node ?? '—'}</dd>
            <dt>Submitted</dt>
            <dd>{formatTime(s.submittedAt)}</dd>
            <dt>Started</dt>
            <dd>{formatTime(s.startedAt)}</dd>
            <dt>Ended</dt>
            <dd>{formatTime(s.endedAt)}</dd>
            <dt>Exit</dt>
            <dd>
              {s.exitCode ?? '—'}
              {s.signal ? ` (${s.signal})` : ''}
              {s.oomKilled ? ', killed for memory' : ''}
            </dd>
            {job.array && (
              <>
                <dt>Array</dt>
                <dd data-testid="array">
                  {job.array.start}-{job.array.end}:{job.array.step} ({job.array.count} tasks
                  {job.array.throttle ? `, at most ${job.array.throttle} at once` : ''})
                  {Object.entries(job.array.tasks)
                    .filter(([, n]) => n > 0)
                    .map(([state, n]) => `, ${state} ${n}`)
                    .join('')}
                </dd>
              </>
            )}
            {job.parentId !== null && (
              <>
                <dt>Array</dt>
                <dd>
                  task {job.taskIndex} of{' '}
                  <a href={`/jobs/${job.parentId}`} onClick={onLinkClick}>
                    job {job.parentId}
                  </a>
                </dd>
              </>
            )}
            {job.dependencies.length > 0 && (
              <>
                <dt>Depends on</dt>
                <dd>
                  {job.dependencies.map((d, i) => (
                    <span key={d.jobId}>
                      {i > 0 && ', '}
                      {d.type}:
                      <a href={`/jobs/${d.jobId}`} onClick={onLinkClick}>
                        {d.jobId}
                      </a>
                    </span>
                  ))}
                </dd>
              </>
            )}
          </dl>
        </section>
        <WhyItWaits job={job} />
        <JobUsage job={job} />
        <section class="card" aria-labelledby="history">
          <h2 id="history">State history</h2>
          <ol class="history">
            {s.history.map((t) => (
              <li key={`${t.at}-${t.state}`}>
                <StateBadge state={t.state} /> <time dateTime={t.at}>{formatTime(t.at)}</time> <span>{t.reason}</span>
              </li>
            ))}
          </ol>
        </section>
      </div>
      <JobLogs job={job} />
      <JobFiles job={job} />
      <details class="card">
        <summary>Script</summary>
        <pre class="script">{job.command.script}</pre>
      </details>
    </article>
  );
}

const LABEL: Record<JobAction, string> = { kill: 'Kill', suspend: 'Suspend', resume: 'Resume', hold: 'Hold', release: 'Release' };

function Actions(props: { job: Job; onChanged(job: Job): void }) {
  const { client } = useSession();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const state = props.job.status.state;
  if (isTerminal(state)) return null;
  const act = async (action: JobAction) => {
    setError(null);
    setAsking(false);
    try {
      props.onChanged(await client.action(props.job.id, action));
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const allowed = JOB_ACTIONS.filter((a) => ACTION_FROM[a].includes(state));
  return (
    <fieldset class="actions">
      <legend class="sr-only">Job actions</legend>
      {allowed
        .filter((a) => a !== 'kill')
        .map((a) => (
          <button key={a} type="button" onClick={() => void act(a)}>
            {LABEL[a]}
          </button>
        ))}
      {allowed.includes('kill') &&
        (asking ? (
          <span class="confirm">
            Kill job {props.job.id}?{' '}
            <button type="button" class="danger" onClick={() => void act('kill')}>
              Yes, kill it
            </button>{' '}
            <button type="button" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" class="danger" onClick={() => setAsking(true)}>
            Kill
          </button>
        ))}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
