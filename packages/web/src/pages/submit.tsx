/**
 * A new job: script, image and volumes from the daemon's catalogues, resources, an array
 * range and dependencies, in the words the CLI takes (4G, 1h30m, 0-99%10, afterok:42).
 * The daemon checks everything again; its error names the field to fix.
 */
import {
  GodockerError,
  type JobSubmission,
  type Project,
  parseDependencies,
  parseDuration,
  parseMemory,
} from '@godocker/sdk/browser';
import { useEffect, useState } from 'preact/hooks';
import { messageOf } from '../format.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';

export function SubmitPage() {
  const { client, info } = useSession();
  const [projects, setProjects] = useState<Project[]>([]);
  const [error, setError] = useState<{ message: string; field?: string | undefined } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    client
      .listProjects()
      .then(setProjects)
      .catch(() => setProjects([]));
  }, [client]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const job = await client.submit(submissionOf(new FormData(event.currentTarget as HTMLFormElement)));
      navigate(`/jobs/${job.id}`);
    } catch (e) {
      setError({ message: messageOf(e), field: GodockerError.is(e) ? e.field : undefined });
    } finally {
      setBusy(false);
    }
  };

  const images = info.images.catalogue.length > 0 ? info.images.catalogue : [info.images.default];
  return (
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a job</h1>
      <form class="submit card" onSubmit={submit}>
        {error && (
          <p role="alert" class="error">
            {error.field ? `${error.field}: ` : ''}
            {error.message}
          </p>
        )}
        <label>
          Name
          <input name="name" maxLength={256} />
        </label>
        <label>
          Script
          <textarea name="script" rows={8} required spellcheck={false} placeholder={'#!/bin/sh\necho hello'} />
        </label>
        <div class="row">
          {info.images.userImagesAllowed ? (
            <label>
              Image
              <input name="image" list="image-catalogue" placeholder={info.images.default} />
              <datalist id="image-catalogue">
                {images.map((i) => (
                  <option key={i} value={i} />
                ))}
              </datalist>
            </label>
          ) : (
            <label>
              Image
              <select name="image">
                {images.map((i) => (
                  <option key={i} value={i} selected={i === info.images.default}>
                    {i}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Project
            <select name="project">
              <option value="">default</option>
              {projects.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        {info.volumes.length > 0 && (
          <fieldset>
            <legend>Volumes</legend>
            {info.volumes.map((v) => (
              <label key={v.name} class="check">
                <input type="checkbox" name="volume" value={v.name} />
                {v.name}{' '}
                <span class="muted">
                  ({v.mode}, at {v.containerPath})
                </span>
              </label>
            ))}
          </fieldset>
        )}
        <div class="row">
          <label>
            CPU cores
            <input name="cpu" type="number" min="0.01" step="0.01" max={info.limits.maxCpu} placeholder="default" />
          </label>
          <label>
            Memory
            <input name="ram" placeholder="e.g. 512M, 4G" />
          </label>
          <label>
            GPUs
            <input name="gpus" type="number" min="0" step="1" placeholder="0" />
          </label>
          <label>
            Time limit
            <input name="time" placeholder="e.g. 30m, 1h30m, 2d" />
          </label>
        </div>
        <div class="row">
          <label>
            Array
            <input name="array" placeholder="e.g. 0-99:2%10" />
          </label>
          <label>
            Dependencies
            <input name="dependencies" placeholder="e.g. afterok:42,afterany:43" />
          </label>
        </div>
        <label class="check">
          <input type="checkbox" name="hold" /> Submit on hold
        </label>
        <button type="submit" disabled={busy}>
          Submit
        </button>
      </form>
    </section>
  );
}

/** The form as the API's submission; what people type is parsed as the CLI parses it. */
export function submissionOf(form: FormData): JobSubmission {
  const text = (name: string) => String(form.get(name) ?? '').trim();
  const s: JobSubmission = { command: { script: String(form.get('script') ?? '') } };
  if (text('name')) s.meta = { name: text('name') };
  if (text('project')) s.project = text('project');
  const volumes = form.getAll('volume').map(String);
  const image = text('image');
  if (image || volumes.length > 0)
    s.container = {
      ...(image ? { image } : {}),
      // Each in its catalogue mode: rw only where the catalogue allows it.
      ...(volumes.length > 0 ? { volumes: volumes.map((name) => ({ name })) } : {}),
    };
  const req: NonNullable<JobSubmission['requirements']> = {};
  if (text('cpu')) req.cpu = Number(text('cpu'));
  if (text('ram')) req.ram = parseMemory(text('ram'));
  if (text('gpus')) req.gpus = Number(text('gpus'));
  if (text('time')) req.timeLimit = parseDuration(text('time'));
  if (Object.keys(req).length > 0) s.requirements = req;
  if (text('array')) s.array = text('array');
  if (text('dependencies')) s.dependencies = parseDependencies(text('dependencies'));
  if (form.get('hold')) s.hold = true;
  return s;
}
