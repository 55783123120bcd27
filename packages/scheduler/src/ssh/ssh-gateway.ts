/**
 * The SSH gateway: an SSH server inside the daemon (ssh2), so that a user reaches a running
 * job with any OpenSSH client and no sshd in its image:
 *
 *   ssh -p 2222 -t alice@host 42          a shell in job 42 (a terminal with -t)
 *   ssh -p 2222 alice@host 42 -- CMD ARGS one command (its exit status is ssh's)
 *   ssh -p 2222 -t alice+42@host          the same shell, the job named in the login
 *   sftp -P 2222 alice+42@host             the job's directory (sftp-session.ts), pending, running or ended
 *
 * Everything runs through the executor's `exec`, as the job runs: its uid/gid, env and
 * working directory. Only the job's owner (and admins) get in, with a key they registered or
 * their API token as the password; someone else's job answers as a missing one, so ids cannot
 * be probed. Sessions are cut, with a line saying why, when the job stops running.
 */
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type ExecRequest,
  type ExecSession,
  type Executor,
  GodockerError,
  type Job,
  type Logger,
  type TaskHandle,
  taskKey,
  type User,
} from '@godocker/sdk';
import ssh2 from 'ssh2';
import type { TokenAuthenticator } from '../auth/tokens.js';
import type { GodockerConfig } from '../config/config-schema.js';
import type { EventBus } from '../events/event-bus.js';
import { refuseArchived } from '../job-files/archived.js';
import { ensureJobDir, fileOwner } from '../job-files/job-dir.js';
import { jobEnv } from '../runtime/submission.js';
import type { Store } from '../store/store.js';
import { InteractiveIdle, isInteractiveRunning } from './interactive-idle.js';
import { fingerprintOf } from './public-keys.js';
import { type SftpTarget, serveSftp } from './sftp-session.js';

type Channel = ssh2.ServerChannel;

export interface SshGatewayDeps {
  store: Store;
  /** The API's check of tokens: a token works as the password, refused once expired or revoked. */
  tokens: TokenAuthenticator;
  executor: Executor;
  bus: EventBus;
  config: GodockerConfig;
  clusterId: string;
  logger: Logger;
  /**
   * Stops a running job as finished (done, not killed), for an interactive job left idle; false
   * when it may work later. Absent: interactive jobs run to their time limit.
   */
  finish?: (jobId: number, reason: string) => Promise<boolean>;
}

/** What a client asked for: a job and, for one command, its text (null: a shell). */
export interface SshTarget {
  jobId: number;
  command: string | null;
}

/** `alice` or `alice+42`: the login name and the job it names, if any. */
export function parseLogin(login: string): { user: string; jobId: number | null } {
  const m = /^(.+)\+(\d{1,15})$/.exec(login);
  return m ? { user: m[1] as string, jobId: Number(m[2]) } : { user: login, jobId: null };
}

/**
 * The job and command from the login and the client's command line: `42`, `42 -- CMD`,
 * `42 CMD`, or only `CMD` when the login named the job. Null with the reason when neither says which job.
 */
export function parseTarget(loginJob: number | null, commandLine: string | null): SshTarget | string {
  const text = (commandLine ?? '').trim();
  if (loginJob !== null) return { jobId: loginJob, command: text === '' ? null : text.replace(/^--\s+/, '') };
  const m = /^(\d{1,15})(?:\s+(?:--\s+)?([\s\S]*))?$/.exec(text);
  if (!m) {
    return text === ''
      ? 'say which job: ssh -p PORT USER@HOST JOBID [-- COMMAND] (or USER+JOBID@HOST)'
      : `the command must start with the job id: ssh -p PORT USER@HOST JOBID -- ${text}`;
  }
  const rest = (m[2] ?? '').trim();
  return { jobId: Number(m[1]), command: rest === '' ? null : rest };
}

/** Why a job cannot be entered now, or null when it runs. */
export function notRunning(job: Job): string | null {
  const { state, reason } = job.status;
  if (state === 'running') return null;
  if (state === 'done' || state === 'failed') return `job ${job.id} ended (${state}: ${reason})`;
  if (state === 'suspended') return `job ${job.id} is suspended: resume it first (godocker resume ${job.id})`;
  return `job ${job.id} is ${state}: ${reason}`;
}

interface Live {
  session: ExecSession;
  channel: Channel;
  user: string;
  /** Set once the client was told why the session ends. */
  told: boolean;
}

/** How long a session whose command ended with its task waits for the job's end to be recorded, to say it. */
const END_NOTE_WAIT_MS = 2000;

export class SshGateway {
  readonly #d: SshGatewayDeps;
  #server: ssh2.Server | null = null;
  readonly #live = new Map<number, Set<Live>>();
  /** Open sftp sessions per job: cut when the job is archived (its directory removed). */
  readonly #sftp = new Map<number, Set<ssh2.SFTPWrapper>>();
  readonly #idle: InteractiveIdle | null;
  #unsubscribe: (() => void) | null = null;

  constructor(deps: SshGatewayDeps) {
    this.#d = deps;
    const finish = deps.finish;
    this.#idle = finish
      ? new InteractiveIdle({ graceMs: deps.config.ssh.interactiveIdleSeconds * 1000, finish, logger: deps.logger })
      : null;
  }

  /** Listens; resolves with the port (the configured one, or the one picked for port 0). */
  async start(): Promise<{ host: string; port: number }> {
    const { config } = this.#d;
    const hostKey = await loadHostKey(config.ssh.hostKeyFile ?? join(config.dataDir, 'ssh_host_ed25519_key'));
    const server = new ssh2.Server({ hostKeys: [hostKey] }, (client, info) => this.#connection(client, info));
    server.on('error', (e: Error) => this.#d.logger.warn({ err: e.message }, 'ssh gateway: server error'));
    this.#server = server;
    this.#unsubscribe = this.#d.bus.subscribe((event) => {
      if (this.#live.has(event.job.id)) this.#jobChanged(event.job);
      if (event.job.status.archivedAt !== undefined && this.#sftp.has(event.job.id)) this.#archived(event.job.id);
      this.#idle?.jobChanged(event.job);
    });
    // Interactive jobs that run already (a daemon restarted): their grace counts from now.
    if (this.#idle) void this.#watchRunning();
    const host = config.ssh.host ?? config.server.host;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.ssh.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.#d.logger.info({ host, port }, 'ssh gateway listening');
    return { host, port };
  }

  async #watchRunning(): Promise<void> {
    try {
      let cursor: number | undefined;
      do {
        const page = await this.#d.store.listJobs(
          { states: ['running'] },
          { limit: 500, ...(cursor === undefined ? {} : { cursor }) },
        );
        for (const job of page.jobs) if (isInteractiveRunning(job)) this.#idle?.jobChanged(job);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    } catch (e) {
      this.#d.logger.warn({ err: e }, 'ssh gateway: could not list the running interactive jobs; they end at their time limit');
    }
  }

  /** The job's directory is gone: its sftp sessions end, saying why. */
  #archived(jobId: number): void {
    for (const sftp of this.#sftp.get(jobId) ?? []) {
      tellSftpClient(sftp, `godocker: job ${jobId} was archived: its directory is removed: session closed\r\n`);
      sftp.end();
    }
    this.#sftp.delete(jobId);
  }

  async stop(): Promise<void> {
    this.#idle?.stop();
    this.#unsubscribe?.();
    for (const [jobId, set] of this.#live) {
      for (const live of set) this.#cut(live, `godocker: the daemon is stopping: session to job ${jobId} closed`);
    }
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #connection(client: ssh2.Connection, info: ssh2.ClientInfo): void {
    const address = `${info.ip}:${info.port}`;
    let user: User | null = null;
    let loginJob: number | null = null;
    client.on('error', (e: Error) => this.#d.logger.debug({ address, err: e.message }, 'ssh gateway: connection error'));
    client.on('authentication', (ctx) => {
      void this.#authenticate(ctx, address).then((u) => {
        if (u) {
          user = u;
          loginJob = parseLogin(ctx.username).jobId;
        }
      });
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let pty: { rows: number; cols: number; term: string } | null = null;
        let live: Live | null = null;
        let pendingSize: { rows: number; cols: number } | null = null;
        session.on('pty', (accept, _reject, p) => {
          pty = { rows: p.rows || 24, cols: p.cols || 80, term: p.term || 'xterm' };
          accept?.();
        });
        session.on('window-change', (accept, _reject, w) => {
          accept?.();
          if (live) void live.session.resize(w.rows, w.cols);
          else pendingSize = { rows: w.rows, cols: w.cols };
        });
        session.on('env', (accept) => accept?.());
        const run = (channel: Channel, commandLine: string | null) => {
          if (!user) return;
          const target = parseTarget(loginJob, commandLine);
          void this.#open(user, target, pty, channel, address).then((l) => {
            live = l;
            if (l && pendingSize) void l.session.resize(pendingSize.rows, pendingSize.cols);
          });
        };
        session.on('shell', (accept) => run(accept(), null));
        session.on('exec', (accept, _reject, e) => run(accept(), e.command));
        session.on('sftp', (accept) => {
          if (!user) return;
          const sftp = accept();
          const target = this.#sftpTarget(user, loginJob, address);
          serveSftp(sftp, target, this.#d.logger);
          // A client gone before its job was checked is not counted as a session.
          let closed = false;
          sftp.once('close', () => {
            closed = true;
          });
          void target.then((t) => {
            if (typeof t !== 'string') {
              if (!closed) this.#sftpOpened(t.jobId, sftp);
              return;
            }
            tellSftpClient(sftp, `godocker: ${t}\r\n`);
            sftp.end();
          });
        });
        session.on('subsystem', (_accept, reject) => reject());
      });
    });
  }

  async #authenticate(ctx: ssh2.AuthContext, address: string): Promise<User | null> {
    const { user: name } = parseLogin(ctx.username);
    try {
      const user = await this.#d.store.getUser(name);
      if (user && ctx.method === 'password') {
        const owner = await this.#d.tokens.authenticate(`Bearer ${ctx.password}`).catch(() => null);
        if (owner?.name === user.name) {
          ctx.accept();
          return user;
        }
      } else if (user && ctx.method === 'publickey') {
        const offered = fingerprintOf(ctx.key.data);
        const stored = (await this.#d.store.listSshKeys(user.name)).find((k) => k.fingerprint === offered);
        if (stored) {
          if (!ctx.signature || !ctx.blob) {
            // The client asks whether this key would do before it signs with it.
            ctx.accept();
            return null;
          }
          const key = ssh2.utils.parseKey(stored.publicKey);
          const parsed = Array.isArray(key) ? key[0] : key;
          if (parsed && !(parsed instanceof Error) && parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
            ctx.accept();
            return user;
          }
        }
      }
    } catch (e) {
      this.#d.logger.warn({ address, err: (e as Error).message }, 'ssh gateway: authentication could not be checked');
    }
    if (ctx.method !== 'none') this.#d.logger.info({ address, user: name, method: ctx.method }, 'ssh gateway: login refused');
    ctx.reject(['publickey', 'password']);
    return null;
  }

  #sftpOpened(jobId: number, sftp: ssh2.SFTPWrapper): void {
    let set = this.#sftp.get(jobId);
    if (!set) {
      set = new Set();
      this.#sftp.set(jobId, set);
    }
    set.add(sftp);
    this.#idle?.opened(jobId);
    sftp.once('close', () => {
      this.#idle?.closed(jobId);
      const now = this.#sftp.get(jobId);
      now?.delete(sftp);
      if (now?.size === 0) this.#sftp.delete(jobId);
    });
    // Archived between the check and now: cut at once.
    void this.#d.store.getJob(jobId).then((job) => {
      if (job?.status.archivedAt !== undefined) this.#archived(jobId);
    });
  }

  /** The job's directory for an sftp session, or why not (the job must be named in the login: sftp sends no command). */
  async #sftpTarget(user: User, jobId: number | null, address: string): Promise<SftpTarget | string> {
    if (jobId === null) return 'say which job in the login: sftp -P PORT USER+JOBID@HOST';
    const job = await this.#d.store.getJob(jobId);
    if (!job || !(user.admin || job.user.name === user.name)) {
      this.#d.logger.info({ address, user: user.name, job: jobId }, 'ssh gateway: sftp refused, not the job of this user');
      return `permission denied: you have no job ${jobId}`;
    }
    this.#idle?.jobChanged(job);
    try {
      refuseArchived(job);
      const dir = await ensureJobDir(this.#d.config, job);
      const { limits } = this.#d.config;
      this.#d.logger.info({ address, user: user.name, job: jobId }, 'ssh gateway: sftp session opened');
      return {
        jobId,
        dir,
        owner: fileOwner(job),
        limits: { maxBytes: limits.maxUploadBytes, maxTotalBytes: limits.maxJobDirBytes },
      };
    } catch (e) {
      return GodockerError.is(e) ? e.message : `cannot open the directory of job ${jobId}: ${(e as Error).message}`;
    }
  }

  /** Checks the job and starts the command; says why not on stderr (exit 1) otherwise. */
  async #open(
    user: User,
    target: SshTarget | string,
    pty: { rows: number; cols: number; term: string } | null,
    channel: Channel,
    address: string,
  ): Promise<Live | null> {
    const refuse = (message: string) => {
      channel.stderr.write(`godocker: ${message}\r\n`);
      channel.exit(1);
      channel.end();
      return null;
    };
    if (typeof target === 'string') return refuse(target);
    const job = await this.#d.store.getJob(target.jobId);
    // Someone else's job answers as a missing one: ids cannot be probed.
    if (!job || !(user.admin || job.user.name === user.name)) {
      this.#d.logger.info({ address, user: user.name, job: target.jobId }, 'ssh gateway: refused, not the job of this user');
      return refuse(`permission denied: you have no job ${target.jobId}`);
    }
    const why = notRunning(job);
    if (why) return refuse(why);
    const node = job.status.node;
    if (!this.#d.executor.exec || !this.#d.executor.features(node).exec) {
      return refuse(`the ${this.#d.executor.name} executor cannot run commands inside jobs (ssh) yet`);
    }
    const owner = await this.#d.store.getUser(job.user.name);
    const env = jobEnv(job);
    env.HOME = owner?.home ?? env.HOME ?? '/';
    if (pty) env.TERM = pty.term;
    const request: ExecRequest = {
      command: target.command === null ? ['/bin/sh', '-l'] : ['/bin/sh', '-c', target.command],
      uid: job.container.root ? 0 : job.user.uid,
      gid: job.container.root ? 0 : job.user.gid,
      env,
      workdir: job.command.workdir,
      tty: pty ? { rows: pty.rows, cols: pty.cols } : null,
    };
    const handle: TaskHandle = { key: taskKey(this.#d.clusterId, job.id), id: job.status.containerId, node };
    let session: ExecSession;
    try {
      session = await this.#d.executor.exec(handle, request);
    } catch (e) {
      return refuse(GodockerError.is(e) ? e.message : `cannot run a command in job ${job.id}: ${(e as Error).message}`);
    }
    const live: Live = { session, channel, user: user.name, told: false };
    let set = this.#live.get(job.id);
    if (!set) {
      set = new Set();
      this.#live.set(job.id, set);
    }
    set.add(live);
    // Known to the idle watch before it counts the session (the bus may not have told it yet).
    this.#idle?.jobChanged(job);
    this.#idle?.opened(job.id);
    this.#d.logger.info(
      { address, user: user.name, job: job.id, command: target.command, tty: pty !== null },
      'ssh gateway: session opened',
    );
    channel.pipe(session.stdin);
    session.stdout.pipe(channel, { end: false });
    session.stderr.pipe(channel.stderr, { end: false });
    channel.on('close', () => void session.close());
    const drained = Promise.all([ended(session.stdout), ended(session.stderr)]);
    void session.exit.then(async (code) => {
      // The output may still be on its way when the exit is known.
      await Promise.race([drained, new Promise((r) => setTimeout(r, 1000))]);
      // The command may have ended because its task did (a container stops before the job's end is recorded).
      if (!live.told) {
        const why = await this.#endedWithTask(job.id, code);
        if (why) this.#cut(live, `godocker: ${why}: session closed`);
      }
      set.delete(live);
      if (set.size === 0) this.#live.delete(job.id);
      this.#idle?.closed(job.id);
      this.#d.logger.info({ address, user: user.name, job: job.id, exitCode: code }, 'ssh gateway: session closed');
      try {
        channel.exit(code);
        channel.end();
      } catch {
        // The client went first.
      }
    });
    // A job that stopped between the check and the start of the command: cut at once.
    const now = await this.#d.store.getJob(job.id);
    if (now) this.#jobChanged(now);
    return live;
  }

  #jobChanged(job: Job): void {
    const why = notRunning(job);
    if (!why) return;
    for (const live of this.#live.get(job.id) ?? []) this.#cut(live, `godocker: ${why}: session closed`);
  }

  /**
   * Why the job no longer runs, when a command killed by a signal was most likely killed with its
   * task (a stopped container takes its commands along before the job's end is recorded); null
   * when the job runs on.
   */
  async #endedWithTask(jobId: number, exitCode: number): Promise<string | null> {
    if (exitCode < 128) return null;
    const until = Date.now() + END_NOTE_WAIT_MS;
    while (Date.now() < until) {
      const job = await this.#d.store.getJob(jobId);
      const why = job ? notRunning(job) : `job ${jobId} is gone`;
      if (why) return why;
      // Stopping, its end not recorded yet (a kill's grace): the reason is already known.
      if (job?.status.killReason) return `job ${jobId} is being stopped (${job.status.killReason})`;
      await delay(100);
    }
    return null;
  }

  #cut(live: Live, message: string): void {
    if (live.told) return;
    live.told = true;
    try {
      live.channel.stderr.write(`\r\n${message}\r\n`);
    } catch {
      // Gone already.
    }
    void live.session.close();
  }
}

/**
 * Text on the stderr of an sftp channel (the OpenSSH client prints it): ssh2's SFTP object
 * stands in for its channel and keeps no stderr of its own, so this writes as its Channel would.
 */
function tellSftpClient(sftp: ssh2.SFTPWrapper, text: string): void {
  const raw = sftp as unknown as {
    _protocol?: { channelExtData(id: number, data: Buffer, type: number): void };
    outgoing?: { id?: number; state?: string };
  };
  const id = raw.outgoing?.id;
  if (!raw._protocol || id === undefined || raw.outgoing?.state !== 'open') return;
  const STDERR = 1;
  raw._protocol.channelExtData(id, Buffer.from(text), STDERR);
}

function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/** The host key: made once (ed25519, 0600) and kept, so clients see the same key after a restart. */
export async function loadHostKey(path: string): Promise<Buffer> {
  if (!existsSync(path)) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    // wx: two daemons starting at once do not overwrite each other's key.
    await writeFile(path, pair.private, { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  await chmod(path, 0o600);
  return readFile(path);
}
