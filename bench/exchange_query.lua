-- wrk: pages of HUB_BENCH_LIMIT records (default 1,000) of HUB_BENCH_RESOURCE as a granted
-- consumer, each page a data request whose ledger entry keeps the keyed hash of every record key
-- it names (the subject log) before its answer leaves. HUB_BENCH_TOKEN, HUB_BENCH_RESOURCE.
local token = os.getenv("HUB_BENCH_TOKEN")
local resource = os.getenv("HUB_BENCH_RESOURCE")
local limit = tonumber(os.getenv("HUB_BENCH_LIMIT") or "1000")
local headers = {["Authorization"] = "Bearer " .. token, ["X-Purpose"] = "bench"}

function request()
  return wrk.format("GET", string.format("/api/v1/resources/%s/records?limit=%d", resource, limit),
                    headers)
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", summary.errors.status))
end
