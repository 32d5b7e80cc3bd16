-- wrk: data requests of bench/scale_data.sh as a granted consumer's system, over the records
-- loaded by its SQL (record i is in resource i % 200, key "91440100" .. 10 digits of i).
--   HUB_BENCH_MODE     read   GET one record by key, random i in [0, HUB_BENCH_RECORDS)
--                      broad  query, filter `district eq "<random district>"`, limit 100
--                             (about 1 record in 11 matches: a full page, whatever the scale)
--                      one    query, filter `uscc eq "<random key of that resource>"`, limit 100
--                             (exactly 1 record matches)
--   HUB_BENCH_TOKEN, HUB_BENCH_CODES (file: the resource codes, in code order, one a line),
--   HUB_BENCH_RECORDS (how many records were loaded).
local token = os.getenv("HUB_BENCH_TOKEN")
local mode = os.getenv("HUB_BENCH_MODE") or "read"
local records = tonumber(os.getenv("HUB_BENCH_RECORDS"))
local codes = {}
for line in io.lines(os.getenv("HUB_BENCH_CODES")) do codes[#codes + 1] = line end
local districts = {"越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区",
                   "南沙区", "从化区", "增城区"}
local headers = {["Authorization"] = "Bearer " .. token, ["X-Purpose"] = "bench"}

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function key_of(i) return string.format("91440100%010d", i) end

function init(args)
  math.randomseed(os.time() + math.random(1000000))
end

function request()
  local i = math.random(0, records - 1)
  local code = codes[(i % #codes) + 1]
  if mode == "read" then
    return wrk.format("GET", "/api/v1/resources/" .. code .. "/records/" .. key_of(i), headers)
  end
  local filter
  if mode == "broad" then
    filter = 'district eq "' .. districts[math.random(1, #districts)] .. '"'
  else
    filter = 'uscc eq "' .. key_of(i) .. '"'
  end
  return wrk.format("GET", "/api/v1/resources/" .. code .. "/records?limit=100&filter=" ..
                    urlencode(filter), headers)
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx answers: %d\n", summary.errors.status))
end
