-- wrk reporting hook: the figures bench/dashboard.py reads, one per line.
done = function(summary, latency, requests)
  io.write(string.format("requests: %d\n", summary.requests))
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
  io.write(string.format("socket-errors: %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("duration-us: %d\n", summary.duration))
  io.write(string.format("p95-us: %d\n", latency:percentile(95)))
end
