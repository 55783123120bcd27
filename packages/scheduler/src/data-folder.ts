/**
 * The data folder holds every user's scripts, env values and token hashes (the store), and
 * the logs of every job: it is the daemon's alone, 0700. An existing folder with a wider mode
 * is made private at start, with a warning; one that cannot be (not the daemon's, or a shared
 * folder such as /tmp) is refused, saying what to do.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { ConfigError, type Logger } from '@godocker/sdk';

const FIELD = 'dataDir';

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export async function preparePrivateFolder(dir: string, logger: Logger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (!info.isDirectory()) throw new ConfigError(`data folder ${dir} is not a folder`, FIELD);
  if ((info.mode & 0o077) === 0) return;
  const uid = process.getuid?.();
  if ((info.mode & 0o1000) !== 0) {
    throw new ConfigError(
      `data folder ${dir} is a shared folder (mode ${octal(info.mode)}): set dataDir to a folder of GoDocker's own, which it makes 0700`,
      FIELD,
    );
  }
  if (uid !== undefined && info.uid !== uid) {
    throw new ConfigError(
      `data folder ${dir} belongs to uid ${info.uid}, not to the daemon's user (uid ${uid}), and is mode ${octal(info.mode)}: run \`chown ${uid} ${dir} && chmod 700 ${dir}\``,
      FIELD,
    );
  }
  try {
    await chmod(dir, 0o700);
  } catch (error) {
    throw new ConfigError(
      `data folder ${dir} is mode ${octal(info.mode)} and cannot be made private (${(error as Error).message}): run \`chmod 700 ${dir}\``,
      FIELD,
    );
  }
  logger.warn(
    { dataDir: dir, was: octal(info.mode) },
    "data folder made 0700: it holds every user's scripts, env values and token hashes",
  );
}
