-- wrk script: catalog searches with Chinese substrings (percent-encoded UTF-8) and filters.
local token = os.getenv("HUB_BENCH_TOKEN")
local queries = {
  "q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7",                 -- 营业执照
  "q=%E4%BC%81%E4%B8%9A%E7%99%BB%E8%AE%B0",                 -- 企业登记
  "q=%E7%94%A8%E7%94%B5%E9%87%8F",                          -- 用电量
  "q=%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A",                 -- 行政处罚
  "q=%E5%85%BB%E8%80%81&share_type=conditional",            -- 养老
  "q=%E4%BF%A1%E7%94%A8&category=basic",                    -- 信用
  "share_type=unconditional&category=theme",
  "q=%E5%8F%98%E6%9B%B4%E8%AE%B0%E5%BD%95&status=published", -- 变更记录
}
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  return wrk.format("GET", "/api/v1/resources?limit=20&" .. q,
                    { ["Authorization"] = "Bearer " .. token })
end
