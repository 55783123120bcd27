/**
 * Host paths in containers: a DRMAA job (an HPC tool's) names its working
 * directory, command and output files as paths of the submitting host. On a
 * container executor those paths exist in the job only if a catalogue volume is
 * mounted at the same absolute path as on the host, so the volumes a job needs
 * are found here, from the admin's catalogue: never a raw host path.
 */
import { posix } from 'node:path';
import { ErrorCodes, type User, ValidationError, type VolumeRequest } from '@godocker/sdk';
import type { GodockerConfig, VolumeConfig } from '../config/config-schema.js';
import { substituteUser } from './run-spec.js';

/** Executors whose jobs see the host's own file system: host paths need no volume there. */
const HOST_FILESYSTEM_EXECUTORS: ReadonlySet<string> = new Set(['local', 'drmaa-forward']);

export function seesHostPaths(executorName: string): boolean {
  return HOST_FILESYSTEM_EXECUTORS.has(executorName);
}

export interface HostPathNeed {
  /** The template field it came from, named in errors. */
  field: string;
  /** Absolute, placeholders already expanded. */
  path: string;
  /** file: its folder must be there; folder: the path itself; fileOrFolder: either (an output path may name a folder). */
  kind: 'file' | 'folder' | 'fileOrFolder';
  /** true: the job writes there (a rw volume or a refusal); 'prefer': rw where the volume allows it, else ro. */
  write: boolean | 'prefer';
  /** Not refused when no volume covers it: a command such as /bin/sleep is in the image. */
  optional?: boolean;
}

interface SamePathVolume {
  entry: VolumeConfig;
  path: string;
}

function samePathVolumes(config: GodockerConfig, user: Pick<User, 'name' | 'home'>): SamePathVolume[] {
  const out: SamePathVolume[] = [];
  for (const entry of config.volumes) {
    const host = posix.normalize(substituteUser(entry.hostPath, user));
    const inside = posix.normalize(substituteUser(entry.containerPath ?? entry.hostPath, user));
    if (host === inside) out.push({ entry, path: host.length > 1 ? host.replace(/\/+$/, '') : host });
  }
  return out;
}

function contains(volume: string, path: string): boolean {
  return volume === '/' || path === volume || path.startsWith(`${volume}/`);
}

function describe(volumes: SamePathVolume[]): string {
  if (volumes.length === 0) {
    return 'the admin mounts no volume at its host path (a catalogue volume whose containerPath is its hostPath): ask for one, or use the local executor';
  }
  return `the admin mounts these at their host paths: ${volumes.map((v) => `${v.path} (${v.entry.name}, ${v.entry.mode})`).join(', ')}`;
}

/**
 * The catalogue volumes, mounted at their host paths, that make these host paths
 * exist in the job's container: rw where the job writes and the volume allows it.
 * A path no such volume covers is refused (GOD_VOLUME_NOT_ALLOWED) with the list
 * of volumes that would do.
 */
export function volumesForHostPaths(
  needs: readonly HostPathNeed[],
  user: Pick<User, 'name' | 'home'>,
  config: GodockerConfig,
): VolumeRequest[] {
  const volumes = samePathVolumes(config, user);
  const chosen = new Map<string, 'ro' | 'rw'>();
  for (const need of needs) {
    const path = posix.normalize(need.path);
    const folders = need.kind === 'folder' ? [path] : need.kind === 'file' ? [posix.dirname(path)] : [posix.dirname(path), path];
    const covering = volumes.filter((v) => folders.some((f) => contains(v.path, f)));
    if (covering.length === 0) {
      if (need.optional) continue;
      throw new ValidationError(
        `${need.field} ${need.path} is not inside a volume mounted at the same path in the job's container; ${describe(volumes)}`,
        need.field,
        ErrorCodes.VOLUME_NOT_ALLOWED,
      );
    }
    const usable = need.write === true ? covering.filter((v) => v.entry.mode === 'rw') : covering;
    if (usable.length === 0) {
      throw new ValidationError(
        `${need.field} ${need.path} is in ${covering.map((v) => `volume ${v.entry.name}`).join(', ')}, which the admin mounts read-only; the job must write there`,
        need.field,
        ErrorCodes.VOLUME_NOT_ALLOWED,
      );
    }
    // The deepest volume is the one the job will actually see at that path.
    const best = usable.reduce((a, b) => (b.path.length > a.path.length ? b : a));
    const mode = need.write === false ? 'ro' : need.write === true ? 'rw' : best.entry.mode;
    if (chosen.get(best.entry.name) !== 'rw') chosen.set(best.entry.name, mode);
  }
  return [...chosen].map(([name, mode]) => ({ name, mode }));
}

/** Adds volumes to those a job asked for; a volume asked twice keeps the wider mode. */
export function mergeVolumes(asked: readonly VolumeRequest[], added: readonly VolumeRequest[]): VolumeRequest[] {
  const out = asked.map((v) => ({ ...v }));
  for (const v of added) {
    const same = out.find((x) => x.name === v.name);
    if (!same) out.push({ ...v });
    else if (v.mode === 'rw') same.mode = 'rw';
  }
  return out;
}
