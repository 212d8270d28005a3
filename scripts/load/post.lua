-- wrk script: POST a RouteInput to the hall, each request with a fresh correlation id and one of
-- WCP_TENANTS (comma-separated) in turn, stopping each thread after WCP_MAX_REQUESTS / threads
-- requests so a run is bounded in count as well as in time (wrk -d).
local token = os.getenv("WCP_TOKEN") or ""
local capability = os.getenv("WCP_CAPABILITY") or "cap.doc.summarize"
local max_per_thread = tonumber(os.getenv("WCP_MAX_PER_THREAD") or "0")
local tenants = {}
for t in string.gmatch(os.getenv("WCP_TENANTS") or "acme", "[^,]+") do
  tenants[#tenants + 1] = t
end

local thread_id = 0
local counter = 0
local sent = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
end

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

function request()
  sent = sent + 1
  if max_per_thread > 0 and sent > max_per_thread then
    wrk.thread:stop()
  end
  counter = counter + 1
  local tenant = tenants[(counter % #tenants) + 1]
  -- A UUID-shaped correlation id, unique per thread and request.
  local corr = string.format("%08x-0000-4000-8000-%012x", thread_id, counter)
  local body = '{"correlation_id":"' .. corr .. '","tenant_id":"' .. tenant ..
    '","env":"dev","data_label":"INTERNAL","tenant_risk":"low","qos_class":"P2",' ..
    '"capability_id":"' .. capability .. '","request":{"text":"hello"}}'
  return wrk.format("POST", nil, nil, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  -- Machine-readable line for scripts/load/run.ts (latency in microseconds).
  io.write(string.format(
    "WCP_RESULT requests=%d duration_us=%d p50=%d p90=%d p99=%d max=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
