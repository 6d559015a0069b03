-- wrk script for scripts/bench-serve.sh: POSTs corpus messages in turn (the file list is in
-- MAILSIFT_BENCH_LIST, one path a line), optionally paced (MAILSIFT_BENCH_DELAY_MS per connection between
-- requests, for fixed-rate runs), and prints one summary line that bench-serve.sh reads.
local bodies = {}
local index = 0
local delay_ms = tonumber(os.getenv("MAILSIFT_BENCH_DELAY_MS") or "0")

function init(args)
  local list = assert(io.open(os.getenv("MAILSIFT_BENCH_LIST"), "r"))
  for path in list:lines() do
    local f = io.open(path, "rb")
    if f then
      -- Each request is formatted once here: formatting it anew per request costs wrk CPU it shares with
      -- the server on a small machine.
      bodies[#bodies + 1] = wrk.format("POST", nil, { ["Content-Type"] = "message/rfc822" }, f:read("*a"))
      f:close()
    end
  end
  list:close()
  assert(#bodies > 0, "no messages")
  index = math.random(#bodies) - 1
end

function request()
  index = index % #bodies + 1
  return bodies[index]
end

function delay()
  return delay_ms
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d p999_us=%d requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / seconds, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
