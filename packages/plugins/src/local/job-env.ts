/**
 * Environment of a job run as a plain process. Nothing
 * of the daemon's own environment leaks into the job: it gets what the user
 * asked for (spec.env, with the GODOCKER_* variables) plus PATH and HOME.
 */
import { readFile } from 'node:fs/promises';

export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
const PASSWD_TTL_MS = 30_000;

/** Home folders by uid from /etc/passwd, re-read now and then: users come and go. */
export class HomeDirectory {
  private homes = new Map<number, string>();
  private loadedAt = -Infinity;

  async of(uid: number): Promise<string | null> {
    if (Date.now() - this.loadedAt > PASSWD_TTL_MS) await this.load();
    return this.homes.get(uid) ?? null;
  }

  private async load(): Promise<void> {
    this.loadedAt = Date.now();
    const homes = new Map<number, string>();
    let text = '';
    try {
      text = await readFile('/etc/passwd', 'utf8');
    } catch {
      // No passwd file (minimal systems): jobs get their task folder as HOME.
    }
    for (const line of text.split('\n')) {
      const fields = line.split(':');
      const uid = Number(fields[2]);
      const home = fields[5];
      if (fields.length >= 7 && Number.isInteger(uid) && home && !homes.has(uid)) homes.set(uid, home);
    }
    this.homes = homes;
  }
}

export function jobEnv(specEnv: Record<string, string>, home: string): Record<string, string> {
  return { ...specEnv, PATH: specEnv.PATH ?? DEFAULT_PATH, HOME: specEnv.HOME ?? home };
}
