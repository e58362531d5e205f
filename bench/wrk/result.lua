-- The RESULT line of a wrk run, shared by every bench/wrk script: scripts/lib.sh
-- (result_field) parses it. Loaded with dofile; returns the function to call from done().
return function(summary, latency)
  local duration_s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d " ..
    "socket_errors=%d\n",
    summary.requests, duration_s, summary.requests / duration_s,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
