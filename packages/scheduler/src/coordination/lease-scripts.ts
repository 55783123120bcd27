/**
 * The lease's Redis side. Each step is one Lua script because Redis runs a script whole,
 * with nothing in between: an acquisition cannot INCR the epoch and then find the key
 * taken, and a renewal or a release cannot act on a key another daemon took between a
 * GET and the write.
 */

/** What holds the lease key for one lease period after Redis was found to have lost its data. */
export const REDIS_RESTARTED = '0|redis-restarted';

/**
 * KEYS: lease, epoch counter. ARGV: instance token, lease ms, the greatest epoch the caller
 * knows of (its own memory, the store's). Returns {1, value} when acquired, {0, value} when
 * someone holds it. Every attempt, won or not, lifts the counter to the caller's floor: what
 * each daemon remembers of the epochs is pooled, so a counter Redis lost resumes above all of it.
 */
export const ACQUIRE = `
local floor = tonumber(ARGV[3])
local counter = redis.call('GET', KEYS[2])
local current = redis.call('GET', KEYS[1])
if not counter and not current and floor > 0 then
  -- Redis lost its data (restarted without persistence) although leaders were known: the last
  -- one may still count itself leader until its deadline, less than a lease from now. Nobody
  -- leads before then.
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('SET', KEYS[1], '${REDIS_RESTARTED}', 'PX', ARGV[2])
  return {0, '${REDIS_RESTARTED}'}
end
if floor > 0 and (not counter or tonumber(counter) < floor) then redis.call('SET', KEYS[2], ARGV[3]) end
if current then return {0, current} end
redis.call('INCR', KEYS[2])
local value = redis.call('GET', KEYS[2]) .. '|' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}
`;

/**
 * KEYS: lease, epoch counter. ARGV: our value, lease ms, our epoch. 1 when extended, 0 when the
 * key is no longer ours. A refused renewal lifts the counter to our epoch: after a restart that
 * lost it, the last leader's epoch is the one every daemon must go beyond. It also holds the
 * lease free for a lease period when Redis lost its data: the refusal reaches the leader one
 * network trip later, and until then it still counts itself leader.
 */
export const RENEW = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
local counter = redis.call('GET', KEYS[2])
if not counter then
  redis.call('SET', KEYS[2], ARGV[3])
  if not current then redis.call('SET', KEYS[1], '${REDIS_RESTARTED}', 'PX', ARGV[2]) end
elseif tonumber(counter) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[3])
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
