-- wrk: key reads of random records K0000001..K{KEYS} as a granted consumer, each a data request
-- written to the ledger before its answer. HUB_BENCH_TOKEN, HUB_BENCH_RESOURCE, HUB_BENCH_KEYS;
-- HUB_BENCH_DELAY_MS paces each connection (for a fixed, lower rate).
local token = os.getenv("HUB_BENCH_TOKEN")
local resource = os.getenv("HUB_BENCH_RESOURCE")
local keys = tonumber(os.getenv("HUB_BENCH_KEYS") or "100000")
local pause = tonumber(os.getenv("HUB_BENCH_DELAY_MS") or "0")
local headers = {["Authorization"] = "Bearer " .. token, ["X-Purpose"] = "bench"}
local errors = 0

function setup(thread)
  thread:set("errors", 0)
end

function init(args)
  math.randomseed(os.time() + math.random(1000000))
end

function delay()
  return pause
end

function request()
  local path = string.format("/api/v1/resources/%s/records/K%07d", resource, math.random(1, keys))
  return wrk.format("GET", path, headers)
end

function response(status, hdrs, body)
  if status ~= 200 then errors = errors + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", summary.errors.status))
end
