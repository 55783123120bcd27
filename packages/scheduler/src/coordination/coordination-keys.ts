/** The Redis names one cluster's daemons share; every daemon of a cluster must derive the same ones. */
export interface CoordinationKeys {
  /** The lease: `SET NX PX`, value `<epoch>|<instance token>`. */
  leader: string;
  /** The fencing-token counter, INCR at each acquisition. */
  epoch: string;
  /** The pub/sub channel of job events. */
  events: string;
}

export function coordinationKeys(clusterId: string): CoordinationKeys {
  const prefix = `godocker:${clusterId}`;
  return { leader: `${prefix}:leader`, epoch: `${prefix}:epoch`, events: `${prefix}:events` };
}

/** The epoch key that goes with a lease key named as `coordinationKeys` names it. */
export function epochKeyFor(leaderKey: string): string {
  return leaderKey.endsWith(':leader') ? `${leaderKey.slice(0, -':leader'.length)}:epoch` : `${leaderKey}:epoch`;
}
