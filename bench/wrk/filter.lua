-- wrk script for scripts/filter_load.sh: the lookup Entra sends before every create,
-- GET /scim/v2/Users?filter=userName eq "<userName>". The bearer token comes from the
-- environment variable SCIMD_TOKEN (never from the command line, never printed).
--
--   wrk ... -s filter.lua URL -- filter USERS [UPPER_EVERY]
--       userNames of bench/seed_util.h's MakeUser (u%07d@contoso.example, i in
--       [0, USERS)), picked at random; every UPPER_EVERY-th request (default 4) sends it
--       in upper case (U0001234@CONTOSO.EXAMPLE): userName is caseExact=false, so it must
--       match all the same. Also used for the nginx reference run (same request line).
--
-- The userNames are generated, not loaded: no 1M-entry table for LuaJIT's GC to traverse
-- (see bench/wrk/patch.lua). done() prints one machine-readable line, as patch.lua does:
--   RESULT requests=N duration_s=S rps=R p50_ms=A p99_ms=B non2xx=K socket_errors=E

-- The RESULT line (bench/wrk/result.lua, next to this script).
local write_result =
  dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "result.lua")

local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  collectgarbage("setpause", 100)  -- as patch.lua: collect per-request garbage continuously
  local token = os.getenv("SCIMD_TOKEN")
  if token == nil or token == "" then
    error("SCIMD_TOKEN is not set")
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  if args[1] ~= "filter" then
    error("mode must be filter")
  end
  user_count = tonumber(args[2])
  if user_count == nil or user_count < 1 or user_count > 10000000 then
    error("USERS must be in [1, 10000000] (seed userNames are u%07d)")
  end
  upper_every = tonumber(args[3] or "4")
  math.randomseed(3000 + tid)
  counter = 0
end

function request()
  counter = counter + 1
  local name = string.format("u%07d@contoso.example", math.random(user_count) - 1)
  if upper_every > 0 and counter % upper_every == 0 then
    name = string.upper(name)
  end
  return wrk.format("GET", "/scim/v2/Users?filter=userName%20eq%20%22" .. name .. "%22")
end

function done(summary, latency, requests)
  write_result(summary, latency)
end
