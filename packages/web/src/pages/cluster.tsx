/**
 * The cluster: each node's state, capacity and what is used of it, and which jobs run where.
 * An admin drains a node (nothing new starts there) and resumes it.
 */
import type { Job, NodeView } from '@godocker/sdk/browser';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { formatCpu, formatMemory, jobTitle, messageOf } from '../format.js';
import { useJobEvents } from '../live-events.js';
import { onLinkClick } from '../router.js';
import { useSession } from '../session.js';

export function ClusterPage() {
  const { client, me } = useSession();
  const [nodes, setNodes] = useState<NodeView[]>([]);
  const [running, setRunning] = useState<Job[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [n, page] = await Promise.all([client.nodes(), client.listJobs({ state: 'running,suspended', limit: 1000 })]);
      setNodes(n);
      setRunning(page.jobs);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [client]);
  useEffect(() => {
    void load();
  }, [load]);
  // A start or an end changes what is used: read again.
  useJobEvents(client, ({ job, previousState }) => {
    if (job.status.state !== previousState) void load();
  });

  const drain = async (node: NodeView) => {
    setError(null);
    try {
      if (node.state === 'drained') await client.resumeNode(node.name);
      else await client.drainNode(node.name, `drained from the web dashboard by ${me.name}`);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section aria-labelledby="cluster-title">
      <h1 id="cluster-title">Cluster</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="nodes">
        {nodes.map((n) => {
          const here = running.filter((j) => j.status.node === n.name);
          return (
            <section class="card node" key={n.name} aria-labelledby={`node-${n.name}`}>
              <div class="title-row">
                <h2 id={`node-${n.name}`}>{n.name}</h2>
                <span class={`badge node-${n.state}`}>{n.state}</span>
              </div>
              {n.downReason && <p class="error">{n.downReason}</p>}
              {n.drain && (
                <p class="muted">
                  Drained by {n.drain.by}: {n.drain.reason}
                </p>
              )}
              <Meter label="CPU" used={n.used.cpu} total={n.capacity.cpu} text={(v) => formatCpu(v)} />
              <Meter label="Memory" used={n.used.ram} total={n.capacity.ram} text={(v) => formatMemory(v)} />
              {n.capacity.gpus > 0 && <Meter label="GPUs" used={n.used.gpus} total={n.capacity.gpus} text={String} />}
              <h3>Running here ({n.jobs})</h3>
              {here.length === 0 ? (
                <p class="muted">Nothing.</p>
              ) : (
                <ul class="plain">
                  {here.map((j) => (
                    <li key={j.id}>
                      <a href={`/jobs/${j.id}`} onClick={onLinkClick}>
                        {j.id}
                      </a>{' '}
                      {jobTitle(j)}{' '}
                      <span class="muted">
                        ({j.user.name}, {formatCpu(j.requirements.cpu)} cpu)
                      </span>
                    </li>
                  ))}
                </ul>
              )}
              {me.admin && (
                <button type="button" onClick={() => void drain(n)}>
                  {n.state === 'drained' ? `Resume ${n.name}` : `Drain ${n.name}`}
                </button>
              )}
            </section>
          );
        })}
      </div>
    </section>
  );
}

function Meter(props: { label: string; used: number; total: number; text(v: number): string }) {
  const share = props.total > 0 ? Math.min(1, props.used / props.total) : 0;
  return (
    <div class="meter-row">
      <span>
        {props.label}: {props.text(props.used)} of {props.text(props.total)} used
      </span>
      <meter min={0} max={props.total} value={props.used} aria-label={`${props.label} used`}>
        {Math.round(share * 100)}%
      </meter>
    </div>
  );
}
