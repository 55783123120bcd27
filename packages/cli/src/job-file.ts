/**
 * `godocker submit --file FILE`: one command per line, all sent in one request
 * (POST /jobs/batch), for the loops people would otherwise write around `submit`.
 * Empty lines and `#` comments are skipped; the daemon stores all the jobs or none.
 */
import { GodockerError, MAX_BATCH_JOBS } from '@godocker/sdk/client';
import { UsageError } from './errors.js';

export interface FileCommand {
  /** 1-based, as an editor shows it. */
  line: number;
  command: string;
}

/** The commands of the file, with their line numbers. */
export function parseJobFile(text: string, name: string): FileCommand[] {
  const commands: FileCommand[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const command = raw.trim();
    if (command === '' || command.startsWith('#')) continue;
    commands.push({ line: i + 1, command });
  }
  if (commands.length === 0) throw new UsageError(`${name} has no commands (empty lines and # comments are skipped)`);
  if (commands.length > MAX_BATCH_JOBS) {
    throw new UsageError(`${name} has ${commands.length} commands; one submit takes at most ${MAX_BATCH_JOBS}: split the file`);
  }
  return commands;
}

/**
 * The daemon names a bad job of a batch by its index (field `jobs.3...`, message
 * `jobs[3]: ...`); the user knows it by its line.
 */
export function onLine(e: unknown, commands: readonly FileCommand[], name: string): unknown {
  if (!GodockerError.is(e)) return e;
  const index = /^(?:body\.)?jobs\.(\d+)/.exec(e.field ?? '')?.[1];
  const command = index === undefined ? undefined : commands[Number(index)];
  if (!command) return e;
  const message = e.message.replace(/^jobs\[\d+\]: /, '').replaceAll(`jobs.${index}.`, '');
  return new GodockerError(e.code, `${name} line ${command.line}: ${message}`, { status: e.status, cause: e });
}
