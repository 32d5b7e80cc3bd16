-- wrk: GETs of an enterprise by a random 18-character code, for bench/gateway_vs_nginx.sh. The
-- same requests (headers included) go to the nginx proxy, to the hub's call route and to the
-- upstream itself; only the target differs.
--   GW_PATH     the target, "%s" standing for the code: "/enterprises/%s" or
--               "/api/v1/services/CODE/call/enterprise?uscc=%s"
--   GW_TOKEN    sent as "Authorization: Bearer ..." (the consumer system's token)
--   GW_PURPOSE  sent as X-Purpose (percent-encoded UTF-8)
--   GW_RATE     requests per second for this wrk thread (use -t1); 0 or unset: no pacing
-- Pacing: requests leave on a fixed schedule shared by all connections of the thread, one every
-- 1/GW_RATE s; a connection that has its answer takes the next slot and waits for it (wrk's
-- delay(), whole milliseconds). The latency wrk reports runs from the moment a request is
-- written, so a slot taken late (every connection busy) would hide queueing: such slots are
-- counted and printed ("late"), and the rate reached is what the script reports.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local pacing = require("pacing")

local path = os.getenv("GW_PATH") or "/enterprises/%s"
local token = os.getenv("GW_TOKEN") or ""
local purpose = os.getenv("GW_PURPOSE") or "bench"
local rate = tonumber(os.getenv("GW_RATE") or "0") or 0
local headers = {["X-Purpose"] = purpose}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end

sent = 0
late = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + math.floor(pacing.now_ms() * 1000) % 1000000)
end

function request()
  sent = sent + 1
  local uscc = string.format("91440101MA5C%06d", math.random(0, 999999))
  return wrk.format("GET", string.format(path, uscc), headers)
end

if rate > 0 then
  delay = pacing.delay(rate)
end

function done(summary, latency, requests)
  local s, l = 0, 0
  for _, t in ipairs(threads) do
    s = s + (t:get("sent") or 0)
    l = l + (t:get("late") or 0)
  end
  io.write(string.format("gateway_call: sent %d, late %d\n", s, l))
end
