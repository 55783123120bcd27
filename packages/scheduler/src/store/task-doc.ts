/**
 * How an array task is stored: only what is its own. A 1,000,000-task array stores
 * 1,000,000 rows, and each would otherwise repeat its parent's script, environment,
 * container and requirements. A stored task leaves out each of the fields below that
 * equals its parent's; reading it takes them from the parent. They are fields every
 * job has (required by the Job schema), so a missing one can only mean "the parent's",
 * and none of them ever changes after the submit, so a parent read once serves all its
 * tasks for good. What a task answers (GET /jobs/{id}) is the same document either way.
 */
import type { NewJob } from './store.js';

const INHERITED = ['user', 'project', 'container', 'requirements', 'dependencies', 'priority'] as const;
const INHERITED_COMMAND = ['script', 'args', 'env'] as const;

export type Inherited = Pick<NewJob, (typeof INHERITED)[number]> & {
  command: Pick<NewJob['command'], (typeof INHERITED_COMMAND)[number]>;
};

type Doc = Record<string, unknown>;

/** What the tasks of `parent` may take from it. */
export function inheritedOf(parent: NewJob): Inherited {
  const { user, project, container, requirements, dependencies, priority } = parent;
  const { script, args, env } = parent.command;
  return { user, project, container, requirements, dependencies, priority, command: { script, args, env } };
}

/**
 * Writes the tasks of one parent in their compact form. Tasks made from one parent share
 * its objects, so each field is compared with the parent's once, not once per task.
 */
export class TaskCompactor {
  readonly #parent: Inherited;
  readonly #parentJson = new Map<string, string>();
  readonly #seen = new Map<string, { value: unknown; same: boolean }>();

  constructor(parent: NewJob) {
    this.#parent = inheritedOf(parent);
  }

  /** The task's document without what it inherits; `task` is left as it was. */
  compact(task: NewJob): Doc {
    const doc: Doc = { ...task };
    for (const key of INHERITED) if (this.#same(key, task[key], this.#parent[key])) delete doc[key];
    const command: Doc = { ...task.command };
    for (const key of INHERITED_COMMAND) {
      if (this.#same(`command.${key}`, task.command[key], this.#parent.command[key])) delete command[key];
    }
    doc.command = command;
    return doc;
  }

  #same(field: string, value: unknown, parentValue: unknown): boolean {
    if (value === parentValue) return true;
    const seen = this.#seen.get(field);
    if (seen && seen.value === value) return seen.same;
    let parentJson = this.#parentJson.get(field);
    if (parentJson === undefined) {
      parentJson = JSON.stringify(parentValue);
      this.#parentJson.set(field, parentJson);
    }
    const same = JSON.stringify(value) === parentJson;
    this.#seen.set(field, { value, same });
    return same;
  }
}

/** A stored task as the whole job document: its own fields, the rest its parent's. */
export function expandTask(doc: Doc, parent: Inherited): NewJob {
  // Shared with the parent's other tasks, never copied: job documents are not changed in place.
  for (const key of INHERITED) if (!(key in doc)) doc[key] = parent[key];
  const command = doc.command as Doc;
  for (const key of INHERITED_COMMAND) if (!(key in command)) command[key] = parent.command[key];
  return doc as unknown as NewJob;
}

/** True for a stored task that leaves some fields to its parent. */
export function inheritsFields(doc: Doc): boolean {
  if (INHERITED.some((key) => !(key in doc))) return true;
  const command = doc.command as Doc;
  return INHERITED_COMMAND.some((key) => !(key in command));
}
