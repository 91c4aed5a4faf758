-- The requests roster-bench sends through wrk. BENCH_MODE says what each request is; each
-- thread stops after BENCH_MAX_REQUESTS responses, and the run ends with one JSON line of figures.
--   get     the URL given to wrk, as it is (the ceiling, a fixed page)
--   read    GET /api/v1/users/{id} of random ids from BENCH_IDS (lines of "id user_name has_password")
--   list    a page of 100 users whose user_name starts with one of BENCH_PREFIXES, sorted
--   create  POST /api/v1/users of new users without passwords
--   patch   a merge patch of a random user's display_name
--   mixed   nine reads for every patch, at random
--   login   POST /api/v1/auth/login as a random user of BENCH_IDS with a password (BENCH_PASSWORD)
local mode = os.getenv("BENCH_MODE") or "get"
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "0")
local password = os.getenv("BENCH_PASSWORD") or ""
local ids, logins, prefixes = {}, {}, {}
local answered, made = 0, 0
local tag = ""
-- wrk.format's headers replace wrk.headers, so each kind of body has its own whole set.
local json, merge = {}, {}

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  tag = (os.getenv("BENCH_TAG") or "w") .. "-" .. math.random(1, 1e9)
  local ids_file = os.getenv("BENCH_IDS")
  if ids_file and mode ~= "get" and mode ~= "list" and mode ~= "create" then
    for line in io.lines(ids_file) do
      local id, name, has_password = line:match("^(%S+) (%S+) (%d)$")
      ids[#ids + 1] = id
      if has_password == "1" then logins[#logins + 1] = name end
    end
  end
  for p in (os.getenv("BENCH_PREFIXES") or ""):gmatch("[^,]+") do prefixes[#prefixes + 1] = p end
  local auth = "Bearer " .. (os.getenv("BENCH_KEY") or "")
  wrk.headers["Authorization"] = auth
  json = { ["Authorization"] = auth, ["Content-Type"] = "application/json" }
  merge = { ["Authorization"] = auth, ["Content-Type"] = "application/merge-patch+json" }
end

local function read()
  return wrk.format("GET", "/api/v1/users/" .. ids[math.random(#ids)])
end

local function patch()
  local body = string.format('{"display_name": "Renamed %d"}', math.random(1, 1e6))
  return wrk.format("PATCH", "/api/v1/users/" .. ids[math.random(#ids)], merge, body)
end

local make = {
  read = read,
  patch = patch,
  mixed = function() if math.random(10) == 1 then return patch() end return read() end,
  list = function()
    local p = prefixes[math.random(#prefixes)]
    return wrk.format("GET", "/api/v1/users?filter=user_name%20sw%20%22" .. p .. "%22&sort=user_name&limit=100")
  end,
  create = function()
    made = made + 1
    local name = tag .. "-" .. made
    return wrk.format("POST", "/api/v1/users", json,
      string.format('{"user_name": "%s", "email": "%s@load.example"}', name, name))
  end,
  login = function()
    return wrk.format("POST", "/api/v1/auth/login", json,
      string.format('{"username": "%s", "password": "%s"}', logins[math.random(#logins)], password))
  end,
}
if make[mode] then request = make[mode] end

function response(status, headers, body)
  answered = answered + 1
  if max_requests > 0 and answered >= max_requests then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"per_second":%.1f,"errors":%d,"non_2xx_3xx":%d,"timeouts":%d,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    e.connect + e.read + e.write + e.status + e.timeout, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000))
end
