/** stdout and stderr: followed live while the job may still write (SSE), read whole once it has ended. */
import { isTerminal, type Job, type LogStream } from '@godocker/sdk/browser';
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../format.js';
import { useSession } from '../session.js';

/** Characters kept on the page: the head of a huge log is in the job's files. */
const MAX_SHOWN = 1_000_000;

export function JobLogs(props: { job: Job }) {
  const [stream, setStream] = useState<LogStream>('stdout');
  return (
    <section class="card" aria-labelledby="logs">
      <div class="title-row">
        <h2 id="logs">Logs</h2>
        <fieldset class="tabs">
          <legend class="sr-only">Log stream</legend>
          {(['stdout', 'stderr'] as const).map((s) => (
            <button key={s} type="button" aria-pressed={stream === s} onClick={() => setStream(s)}>
              {s}
            </button>
          ))}
        </fieldset>
      </div>
      <LogText key={`${props.job.id}-${stream}`} job={props.job} stream={stream} />
    </section>
  );
}

function LogText(props: { job: Job; stream: LogStream }) {
  const { client } = useSession();
  const [text, setText] = useState('');
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ended = isTerminal(props.job.status.state);
  const box = useRef<HTMLPreElement>(null);
  const { id } = props.job;

  useEffect(() => {
    const stop = new AbortController();
    setError(null);
    (async () => {
      if (ended) {
        setText((await client.logs(id, props.stream, { signal: stop.signal })).slice(-MAX_SHOWN));
        return;
      }
      setText('');
      setLive(true);
      for await (const chunk of client.followLogs(id, props.stream, { signal: stop.signal })) {
        setText((t) => (t + chunk).slice(-MAX_SHOWN));
      }
    })()
      .catch((e: unknown) => stop.signal.aborted || setError(messageOf(e)))
      .finally(() => setLive(false));
    return () => stop.abort();
  }, [client, id, props.stream, ended]);

  // Stays at the bottom as lines arrive, unless the reader scrolled up.
  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text]);

  return (
    <>
      <p class="muted" role="status">
        {live ? `Following ${props.stream} live` : ended ? `${props.stream}, whole` : ''}
      </p>
      {error && <p class="error">{error}</p>}
      <pre
        class="log"
        role="log"
        ref={box}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
        aria-label={`${props.stream} of job ${id}`}
        data-testid={`log-${props.stream}`}
      >
        {text || (ended ? '(empty)' : '')}
      </pre>
    </>
  );
}
