-- Pacing for wrk scripts (gateway_call.lua, compute_run.lua): requests leave on a fixed schedule
-- shared by all connections of a wrk thread, one every 1000/rate ms; a connection that has its
-- answer takes the next slot and waits for it (wrk's delay(), whole milliseconds). wrk measures
-- latency from the moment a request is written, so a slot taken more than 1 ms late (every
-- connection busy: queueing the latency would hide) is counted in the script's global `late`.
-- Use: add the script's own directory to package.path, then  local pacing = require("pacing")
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } pacing_timespec;
int clock_gettime(int clk_id, pacing_timespec *tp);
]]
local ts = ffi.new("pacing_timespec")

local M = {}

function M.now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- A delay() for `rate` requests per second.
function M.delay(rate)
  local interval = 1000 / rate
  local next_slot = nil
  return function()
    local now = M.now_ms()
    if next_slot == nil then next_slot = now end
    local slot = next_slot
    next_slot = next_slot + interval
    local d = slot - now
    if d < -1 then late = late + 1 end -- sent more than 1 ms after its slot
    if d <= 0 then return 0 end
    return math.floor(d + 0.5)
  end
end

return M
