/** The job's directory (`GET /jobs/{id}/files`): browse its folders, download a file. */
import type { Job, JobFileList } from '@godocker/sdk/browser';
import { useEffect, useState } from 'preact/hooks';
import { formatTime, messageOf } from '../format.js';
import { useSession } from '../session.js';

export function JobFiles(props: { job: Job }) {
  const { client } = useSession();
  const [path, setPath] = useState('');
  const [list, setList] = useState<JobFileList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { id } = props.job;
  const state = props.job.status.state;

  useEffect(() => {
    setError(null);
    client
      .listFiles(id, path)
      .then(setList)
      .catch((e: unknown) => {
        setList(null);
        setError(messageOf(e));
      });
  }, [client, id, path, state]);

  const download = async (name: string) => {
    try {
      const file = await client.downloadFile(id, join(path, name));
      const url = URL.createObjectURL(await new Response(file.body).blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section class="card" aria-labelledby="files">
      <h2 id="files">Files</h2>
      <p class="muted">
        /{path}
        {path && (
          <>
            {' '}
            <button type="button" class="link" onClick={() => setPath(path.split('/').slice(0, -1).join('/'))}>
              up
            </button>
          </>
        )}
      </p>
      {error && <p class="error">{error}</p>}
      {list && list.entries.length === 0 && <p class="muted">No files.</p>}
      {list && list.entries.length > 0 && (
        <table class="responsive">
          <caption class="sr-only">Files in /{path}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Size</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {list.entries.map((e) => (
              <tr key={e.name}>
                <td data-label="Name">
                  {e.type === 'directory' ? (
                    <button type="button" class="link" onClick={() => setPath(join(path, e.name))}>
                      {e.name}/
                    </button>
                  ) : e.type === 'file' ? (
                    <button type="button" class="link" onClick={() => void download(e.name)}>
                      {e.name}
                    </button>
                  ) : (
                    `${e.name} (${e.type})`
                  )}
                </td>
                <td data-label="Size">{e.size} B</td>
                <td data-label="Changed">{formatTime(e.mtime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}
