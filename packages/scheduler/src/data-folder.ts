/**
 * The data folder holds every user's scripts, env values and token hashes (the store): it is
 * the daemon's alone, 0700. When the jobs' directories are inside it (jobsDir, by default
 * DATADIR/jobs), it is 0711 instead: a job run as its user's uid on the local executor must pass
 * through it to reach its own directory by path, but nobody else may list it, and what is in it
 * stays private by its own mode (the store 0600, the executors' folders 0700). An existing folder
 * with a wider mode is made private at start, with a warning; one that cannot be (not the
 * daemon's, or a shared folder such as /tmp) is refused, saying what to do.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { ConfigError, type Logger } from '@godocker/sdk';

const FIELD = 'dataDir';

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export async function preparePrivateFolder(dir: string, logger: Logger, options: { traversable?: boolean } = {}): Promise<void> {
  const want = options.traversable ? 0o711 : 0o700;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (!info.isDirectory()) throw new ConfigError(`data folder ${dir} is not a folder`, FIELD);
  if ((info.mode & 0o7777) === want) return;
  if ((info.mode & 0o077 & ~want) === 0) {
    // Narrower than wanted (0700 where jobs must pass through): nothing was exposed.
    await chmod(dir, want);
    return;
  }
  const uid = process.getuid?.();
  if ((info.mode & 0o1000) !== 0) {
    throw new ConfigError(
      `data folder ${dir} is a shared folder (mode ${octal(info.mode)}): set dataDir to a folder of GoDocker's own, which it makes 0700`,
      FIELD,
    );
  }
  if (uid !== undefined && info.uid !== uid) {
    throw new ConfigError(
      `data folder ${dir} belongs to uid ${info.uid}, not to the daemon's user (uid ${uid}), and is mode ${octal(info.mode)}: run \`chown ${uid} ${dir} && chmod ${octal(want).slice(1)} ${dir}\``,
      FIELD,
    );
  }
  try {
    await chmod(dir, want);
  } catch (error) {
    throw new ConfigError(
      `data folder ${dir} is mode ${octal(info.mode)} and cannot be made private (${(error as Error).message}): run \`chmod ${octal(want).slice(1)} ${dir}\``,
      FIELD,
    );
  }
  logger.warn(
    { dataDir: dir, was: octal(info.mode) },
    `data folder made ${octal(want)}: it holds every user's scripts, env values and token hashes`,
  );
}
