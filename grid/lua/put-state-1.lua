--[[
  Stores a journey's hot state only when its sequence number is newer than the stored one, so a
  late or replayed writer can never move the cached state backwards.

  Input:
    KEYS[1] the journey's state hash (je:{<journeyId>}:state), fields `seq` and `state`

    ARGV[1] seq: the journey's applied sequence number (integer >= 0)
    ARGV[2] state: the journey state as JSON text
    ARGV[3] ttl: time to live of the hash in milliseconds (integer > 0)

  Output:
    1 stored (no state yet, or stored seq < seq)
    0 not stored (stored seq >= seq); the TTL is left as it was
]]
local rcall = redis.call
local seq = tonumber(ARGV[1])
local stored = rcall("HGET", KEYS[1], "seq")
if stored and tonumber(stored) >= seq then
  return 0
end
rcall("HSET", KEYS[1], "seq", ARGV[1], "state", ARGV[2])
rcall("PEXPIRE", KEYS[1], ARGV[3])
return 1
