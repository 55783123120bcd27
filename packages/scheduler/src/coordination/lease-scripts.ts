/**
 * The lease's Redis side. Each step is one Lua script because Redis runs a script whole,
 * with nothing in between: an acquisition cannot INCR the epoch and then find the key
 * taken, and a renewal or a release cannot act on a key another daemon took between a
 * GET and the write.
 */

/** What holds the lease key for one lease period after Redis was found to have lost its data. */
export const REDIS_RESTARTED = '0|redis-restarted';

/**
 * KEYS: lease, epoch counter. ARGV: instance token, lease ms, least epoch the new one must exceed.
 * Returns {1, value} when acquired, {0, value or false} when someone holds it.
 */
export const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
if tonumber(ARGV[3]) > 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  -- Redis lost its data (restarted without persistence) although leaders were known: the last
  -- one may still count itself leader until its deadline, less than a lease from now. Nobody
  -- leads before then; the counter resumes above the floor.
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('SET', KEYS[1], '${REDIS_RESTARTED}', 'PX', ARGV[2])
  return {0, '${REDIS_RESTARTED}'}
end
local epoch = redis.call('INCR', KEYS[2])
if epoch <= tonumber(ARGV[3]) then
  -- The counter was lost (Redis restarted without persistence): continue above what the store has seen.
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('INCR', KEYS[2])
end
local value = redis.call('GET', KEYS[2]) .. '|' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}
`;

/** KEYS: lease. ARGV: our value, lease ms. 1 when extended, 0 when the key is no longer ours. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS: lease. ARGV: our value. 1 when deleted, 0 when it was not ours. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

export interface LeaseValue {
  epoch: number;
  /** Whose it is: the holder's name and a nonce of its lease instance. */
  token: string;
}

/** `<epoch>|<token>`; null for anything else (the key is shared with whatever else writes to Redis). */
export function parseLeaseValue(value: unknown): LeaseValue | null {
  if (typeof value !== 'string') return null;
  const bar = value.indexOf('|');
  if (bar < 1) return null;
  const digits = value.slice(0, bar);
  if (!/^[0-9]{1,16}$/.test(digits)) return null;
  const epoch = Number(digits);
  return Number.isSafeInteger(epoch) ? { epoch, token: value.slice(bar + 1) } : null;
}
