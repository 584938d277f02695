-- common.lua: loaded by the serve benchmark's wrk scripts (bench/run_serve.sh).
-- Every request carries the benchmark's API key; done() prints one line
--   RESULT <requests/s> <p50 us> <p99 us> <requests> <errors>
-- where errors count failed connections, reads, writes, timeouts and
-- responses with a status of 400 or more.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"

function load_lines(path)
  local t = {}
  for line in io.lines(path) do t[#t + 1] = line end
  return t
end

local next_thread = 1
function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  math.randomseed(1000 + (tid or 0))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout))
end
