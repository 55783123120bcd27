/** Admin: users and projects with their quotas and shares; a quota is changed in place. */
import type { Project, User } from '@godocker/sdk/browser';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { AddProjectForm, AddUserForm } from '../components/add-forms.js';
import { QuotaForm, quotaText } from '../components/quota-form.js';
import { messageOf } from '../format.js';
import { useSession } from '../session.js';

export function AdminPage() {
  const { client, me } = useSession();
  const [users, setUsers] = useState<User[]>([]);
  const [projects, setProjects] = useState<Project[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [u, p] = await Promise.all([client.listUsers(), client.listProjects()]);
      setUsers(u);
      setProjects(p);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [client]);
  useEffect(() => {
    if (me.admin) void load();
  }, [load, me.admin]);

  if (!me.admin)
    return (
      <section>
        <h1>Admin</h1>
        <p>Only an admin manages users, projects and quotas.</p>
      </section>
    );
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <table class="responsive">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">uid:gid</th>
              <th scope="col">Admin</th>
              <th scope="col">Priority</th>
              <th scope="col">Quota</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.name} data-user={u.name}>
                <td data-label="Name">{u.name}</td>
                <td data-label="uid:gid">
                  {u.uid}:{u.gid}
                </td>
                <td data-label="Admin">{u.admin ? 'yes' : 'no'}</td>
                <td data-label="Priority">{u.priority}</td>
                <td data-label="Quota">
                  {editing === `user:${u.name}` ? (
                    <QuotaForm
                      owner={`user ${u.name}`}
                      quota={u.quota}
                      save={async (quota) => {
                        await client.updateUser(u.name, { quota });
                        await load();
                      }}
                      done={() => setEditing(null)}
                    />
                  ) : (
                    <>
                      <span class="quota-text">{quotaText(u.quota)}</span>{' '}
                      <button
                        type="button"
                        onClick={() => setEditing(`user:${u.name}`)}
                        aria-label={`Edit the quota of user ${u.name}`}
                      >
                        Edit
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <AddUserForm added={load} />
      </section>
      <section class="card" aria-labelledby="projects-title">
        <h2 id="projects-title">Projects</h2>
        <table class="responsive">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Shares</th>
              <th scope="col">Members (shares)</th>
              <th scope="col">Quota</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => (
              <tr key={p.name} data-project={p.name}>
                <td data-label="Name">
                  {p.name}
                  {p.description && <div class="muted">{p.description}</div>}
                </td>
                <td data-label="Shares">{p.shares}</td>
                <td data-label="Members">{p.members.map((m) => `${m.user} (${m.shares})`).join(', ') || '—'}</td>
                <td data-label="Quota">
                  {editing === `project:${p.name}` ? (
                    <QuotaForm
                      owner={`project ${p.name}`}
                      quota={p.quota}
                      save={async (quota) => {
                        await client.updateProject(p.name, { quota });
                        await load();
                      }}
                      done={() => setEditing(null)}
                    />
                  ) : (
                    <>
                      <span class="quota-text">{quotaText(p.quota)}</span>{' '}
                      <button
                        type="button"
                        onClick={() => setEditing(`project:${p.name}`)}
                        aria-label={`Edit the quota of project ${p.name}`}
                      >
                        Edit
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <AddProjectForm added={load} />
      </section>
    </section>
  );
}
