/**
 * The job list: one page of jobs at a time from `GET /api/v1/jobs` (cursor pagination, so
 * ten thousand jobs never load at once), kept current by the event stream; filter by
 * state and search on the server, so a search finds jobs beyond the loaded pages.
 */
import {
  JOB_STATES,
  type Job,
  type JobState,
  jobMatchesSearch,
  jobSearchProblem,
  type ListJobsQuery,
} from '@godocker/sdk/browser';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { StateBadge } from '../components/state-badge.js';
import { formatTime, jobTitle, messageOf } from '../format.js';
import { useJobEvents } from '../live-events.js';
import { navigate, onLinkClick, useLocation } from '../router.js';
import { useSession } from '../session.js';

/** Rows per page: what one screen shows, and one small answer. */
export const PAGE_SIZE = 50;

const ACTIVE = 'pending,held,running,suspended';

/** Typing pauses this long before the search is asked for: one request per word, not per key. */
export const SEARCH_DEBOUNCE_MS = 250;

export function JobsPage() {
  const { client, me } = useSession();
  const { query } = useLocation();
  const state = query.get('state') ?? '';
  const mine = query.get('all') !== '1';
  const [search, setSearch] = useState(query.get('q') ?? '');
  // What the server is asked for: the box's text once typing pauses.
  const [term, setTerm] = useState(search.trim());
  const [jobs, setJobs] = useState<Job[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const wait = setTimeout(() => setTerm(search.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(wait);
  }, [search]);
  const searchProblem = term ? jobSearchProblem(term) : null;

  const filter = useMemo((): ListJobsQuery | null => {
    if (searchProblem) return null;
    const f: ListJobsQuery = { limit: PAGE_SIZE };
    if (state) f.state = state;
    if (mine) f.user = me.name;
    if (term) f.q = term;
    return f;
  }, [state, mine, me.name, term, searchProblem]);

  useEffect(() => {
    // The address keeps the search, so a reload or a shared link shows the same list.
    if ((new URLSearchParams(location.search).get('q') ?? '') !== term) setQuery({ q: term || null });
  }, [term]);

  useEffect(() => {
    const stop = new AbortController();
    // Rows of the last filter are not shown as if they matched this one.
    setJobs([]);
    setCursor(null);
    setLoading(true);
    setError(null);
    if (filter === null) {
      setLoading(false);
      return;
    }
    client
      .listJobs(filter, { signal: stop.signal })
      .then((page) => {
        setJobs(page.jobs);
        setCursor(page.nextCursor);
      })
      .catch((e: unknown) => stop.signal.aborted || setError(messageOf(e)))
      .finally(() => setLoading(false));
    return () => stop.abort();
  }, [client, filter]);

  const more = async () => {
    if (!cursor || filter === null) return;
    setLoading(true);
    try {
      const page = await client.listJobs({ ...filter, cursor });
      setJobs((shown) => [...shown, ...page.jobs.filter((j) => !shown.some((s) => s.id === j.id))]);
      setCursor(page.nextCursor);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setLoading(false);
    }
  };

  const wanted = useCallback(
    (job: Job) =>
      (!state || state.split(',').includes(job.status.state)) &&
      (!mine || job.user.name === me.name) &&
      (!term || jobMatchesSearch(job, term)),
    [state, mine, me.name, term],
  );
  const { connected } = useJobEvents(client, ({ job }) => {
    setJobs((shown) => {
      const at = shown.findIndex((j) => j.id === job.id);
      if (at >= 0) return shown.map((j, i) => (i === at ? job : j));
      // A new job goes on top; an older one not loaded stays on its page.
      const newest = shown[0]?.id ?? 0;
      return wanted(job) && job.id > newest ? [job, ...shown] : shown;
    });
  });

  const setQuery = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    const qs = next.toString();
    navigate(`/jobs${qs ? `?${qs}` : ''}`, true);
  };

  return (
    <section aria-labelledby="jobs-title">
      <div class="title-row">
        <h1 id="jobs-title">{mine ? 'My jobs' : 'All jobs'}</h1>
        <span class={`live ${connected ? 'on' : ''}`} role="status">
          {connected ? 'Live' : 'Connecting to live updates…'}
        </span>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          State
          <select value={state} onChange={(e) => setQuery({ state: (e.currentTarget as HTMLSelectElement).value || null })}>
            <option value="">any</option>
            <option value={ACTIVE}>not ended</option>
            {JOB_STATES.map((s: JobState) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          Search
          <input
            type="search"
            value={search}
            placeholder="id, name, project, user, image, tag"
            onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        {me.admin && (
          <label class="check">
            <input
              type="checkbox"
              checked={!mine}
              onChange={(e) => setQuery({ all: (e.currentTarget as HTMLInputElement).checked ? '1' : null })}
            />
            Everyone's jobs
          </label>
        )}
      </form>
      {searchProblem && (
        <p role="alert" class="error">
          {searchProblem}
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <table class="jobs responsive">
          <caption class="sr-only">Jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Project</th>
              <th scope="col">User</th>
              <th scope="col">Submitted</th>
              <th scope="col">Node</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id} data-job={job.id}>
                <td data-label="ID">
                  <a href={`/jobs/${job.id}`} onClick={onLinkClick}>
                    {job.id}
                  </a>
                </td>
                <td data-label="Name">{jobTitle(job)}</td>
                <td data-label="State">
                  <StateBadge state={job.status.state} />
                </td>
                <td data-label="Project">{job.project}</td>
                <td data-label="User">{job.user.name}</td>
                <td data-label="Submitted">{formatTime(job.status.submittedAt)}</td>
                <td data-label="Node">{job.status.node ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && jobs.length === 0 && <p class="muted">No jobs here.</p>}
      <p class="pager">
        <span class="muted">
          {jobs.length} loaded{cursor ? ', more on the server' : ''}
        </span>
        {cursor && (
          <button type="button" onClick={more} disabled={loading}>
            Load {PAGE_SIZE} more
          </button>
        )}
        {loading && <span role="status">Loading…</span>}
      </p>
    </section>
  );
}
