-- wrk script: POST /v1/search with the real WANDS queries in turn (one per line in $QUERIES).
local queries = {}
local path = os.getenv("QUERIES") or "queries.txt"
for line in io.lines(path) do
  if #line > 0 then
    queries[#queries + 1] = line:gsub('\\', '\\\\'):gsub('"', '\\"')
  end
end
local i = 0
local headers = { ["Content-Type"] = "application/json" }

request = function()
  i = i + 1
  local q = queries[(i % #queries) + 1]
  return wrk.format("POST", "/v1/search", headers, '{"query": "' .. q .. '", "k": 10}')
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
