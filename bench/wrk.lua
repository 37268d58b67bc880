-- wrk script for bench/run.
--
-- Environment:
--   BENCH_METHOD     GET (default) or POST
--   BENCH_BODY_FILE  a file whose content is the request body (POST)
--   BENCH_TOKEN      a bearer token, sent as Authorization
--
-- At the end it prints one machine-readable line:
--   BENCH requests=N seconds=S rps=R p50_ms=A p90_ms=B p99_ms=C errors=E non2xx=F
-- where errors counts socket errors (connect, read, write, timeout) and
-- non2xx the answers with a status outside 2xx/3xx.

local method = os.getenv("BENCH_METHOD") or "GET"
local body_file = os.getenv("BENCH_BODY_FILE")
local token = os.getenv("BENCH_TOKEN")

wrk.method = method
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
