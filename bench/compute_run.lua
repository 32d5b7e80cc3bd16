-- wrk: runs of the demo's joint computation (信易贷) for one authorised enterprise, as the
-- credit bureau's system; each run reads four providers' records and writes five ledger entries
-- before its answer. HUB_BENCH_TOKEN, HUB_BENCH_AUTHORIZATION, HUB_BENCH_CODE, HUB_BENCH_SUBJECT;
-- HUB_BENCH_DELAY_MS paces each connection (for a fixed, lower rate).
local token = os.getenv("HUB_BENCH_TOKEN")
local authorization = os.getenv("HUB_BENCH_AUTHORIZATION")
local code = os.getenv("HUB_BENCH_CODE")
local subject = os.getenv("HUB_BENCH_SUBJECT")
local pause = tonumber(os.getenv("HUB_BENCH_DELAY_MS") or "0")
local headers = {["Authorization"] = "Bearer " .. token,
                 ["X-Subject-Authorization"] = authorization,
                 ["X-Purpose"] = "bench",
                 ["Content-Type"] = "application/json"}
local body = '{"subject_key":"' .. subject .. '"}'
local path = "/api/v1/computations/" .. code .. "/run"

function delay()
  return pause
end

function request()
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", summary.errors.status))
end
