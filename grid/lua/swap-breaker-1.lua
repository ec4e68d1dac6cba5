--[[
  Compare-and-set of a back end's circuit breaker state: the new text is stored only if the key
  still holds the text the caller read (or still holds nothing), so two nodes that move the same
  breaker at once never overwrite each other's step; the loser reads again and steps again.

  Input:
    KEYS[1] the breaker's state key (<namespace>:{breaker:<system>}:state), a string

    ARGV[1] expected: the text the caller read; empty when it read no key
    ARGV[2] next: the new text (the state JSON, sealed with its MAC)
    ARGV[3] ttl: time to live of the key in milliseconds (integer > 0)

  Output:
    1 stored
    0 not stored: the key holds something else now
]]
local rcall = redis.call
local current = rcall("GET", KEYS[1])
if current == false then
  current = ""
end
if current ~= ARGV[1] then
  return 0
end
rcall("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
return 1
