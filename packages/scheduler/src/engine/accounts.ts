/**
 * Who a job charges: its user (quota across all projects), its project
 * (quota across all members), and the pair (fair share, priorities). Built
 * once per pass from the projects and users of the input; names that are not
 * known get no quota and priority 0, so a job is never blocked by a policy
 * record that does not exist.
 */
import type { CpuTimeUsage, ProjectPolicy, UserPolicy } from './engine-io.js';
import type { Account } from './policy.js';
import { QuotaHolder } from './quotas.js';

export interface AccountState extends Account {
  readonly index: number;
  readonly userQuota: QuotaHolder;
  readonly projectQuota: QuotaHolder;
}

export class Accounts {
  readonly list: AccountState[] = [];
  readonly #byUser = new Map<string, Map<string, AccountState>>();
  /** The account last used by each user: most users charge one project, so one lookup finds it. */
  readonly #lastOfUser = new Map<string, AccountState>();
  readonly #users = new Map<string, QuotaHolder>();
  readonly #projects = new Map<string, QuotaHolder>();
  readonly #userPolicy = new Map<string, UserPolicy>();
  readonly #projectPolicy = new Map<string, ProjectPolicy>();
  readonly #cpuTime: CpuTimeUsage | undefined;

  constructor(projects: readonly ProjectPolicy[], users: readonly UserPolicy[], cpuTime: CpuTimeUsage | undefined) {
    for (const p of projects) if (!this.#projectPolicy.has(p.name)) this.#projectPolicy.set(p.name, p);
    for (const u of users) if (!this.#userPolicy.has(u.name)) this.#userPolicy.set(u.name, u);
    this.#cpuTime = cpuTime;
  }

  user(name: string): QuotaHolder {
    let h = this.#users.get(name);
    if (!h) {
      h = new QuotaHolder('user', name, this.#userPolicy.get(name)?.quota, this.#cpuTime?.user.get(name) ?? 0);
      this.#users.set(name, h);
    }
    return h;
  }

  project(name: string): QuotaHolder {
    let h = this.#projects.get(name);
    if (!h) {
      h = new QuotaHolder('project', name, this.#projectPolicy.get(name)?.quota, this.#cpuTime?.project.get(name) ?? 0);
      this.#projects.set(name, h);
    }
    return h;
  }

  of(user: string, project: string): AccountState {
    const last = this.#lastOfUser.get(user);
    if (last !== undefined && last.project === project) return last;
    const a = this.#find(user, project);
    this.#lastOfUser.set(user, a);
    return a;
  }

  #find(user: string, project: string): AccountState {
    let byProject = this.#byUser.get(user);
    if (!byProject) {
      byProject = new Map();
      this.#byUser.set(user, byProject);
    }
    let a = byProject.get(project);
    if (!a) {
      a = {
        index: this.list.length,
        user,
        project,
        userPriority: this.#userPolicy.get(user)?.priority ?? 0,
        projectPriority: this.#projectPolicy.get(project)?.priority ?? 0,
        userQuota: this.user(user),
        projectQuota: this.project(project),
      };
      this.list.push(a);
      byProject.set(project, a);
    }
    return a;
  }
}
