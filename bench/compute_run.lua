-- wrk: runs of the demo's joint computation (信易贷) for one authorised enterprise, as the
-- credit bureau's system; each run reads four providers' records and writes five ledger entries
-- before its answer. HUB_BENCH_TOKEN, HUB_BENCH_AUTHORIZATION, HUB_BENCH_CODE, HUB_BENCH_SUBJECT;
-- HUB_BENCH_RATE: runs per second for each wrk thread (0 or unset: as fast as they go).
-- Pacing: bench/pacing.lua (a fixed schedule; requests sent over 1 ms late are counted).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local pacing = require("pacing")

local token = os.getenv("HUB_BENCH_TOKEN")
local authorization = os.getenv("HUB_BENCH_AUTHORIZATION")
local code = os.getenv("HUB_BENCH_CODE")
local subject = os.getenv("HUB_BENCH_SUBJECT")
local rate = tonumber(os.getenv("HUB_BENCH_RATE") or "0") or 0
local headers = {["Authorization"] = "Bearer " .. token,
                 ["X-Subject-Authorization"] = authorization,
                 ["X-Purpose"] = "bench",
                 ["Content-Type"] = "application/json"}
local body = '{"subject_key":"' .. subject .. '"}'
local path = "/api/v1/computations/" .. code .. "/run"

sent = 0
late = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  sent = sent + 1
  return wrk.format("POST", path, headers, body)
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
  io.write(string.format("compute_run: sent %d, late %d, non-200 answers: %d\n", s, l,
                         summary.errors.status))
end
