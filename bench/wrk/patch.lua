-- wrk script for scripts/patch_load.sh: Entra-shaped user updates. The bearer token comes
-- from the environment variable SCIMD_TOKEN (never from the command line, never printed).
--
--   wrk ... -s patch.lua URL -- patch IDS_FILE
--       PATCH /scim/v2/Users/<id>, ids picked at random from IDS_FILE, the body rotating
--       over the three updates Entra sends most: disable (active "False", as Entra sends
--       it), change department (enterprise extension URN path), replace the work email
--       (emails[type eq "work"].value, a new value every time).
--   wrk ... -s patch.lua URL -- get IDS_FILE
--       GET /scim/v2/Users/<id>, ids picked at random (also the nginx reference run).
--   wrk ... -s patch.lua URL -- fixed PATH
--       GET PATH (path and query) on every request.
--
-- done() prints one machine-readable line, as bench/wrk/scim.lua does:
--   RESULT requests=N duration_s=S rps=R p50_ms=A p99_ms=B non2xx=K socket_errors=E

-- The RESULT line (bench/wrk/result.lua, next to this script).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local write_result = dofile(here .. "result.lua")
local load_ids = dofile(here .. "ids.lua")

local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end

local kPatchOp = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['
local kEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

local function disable_body()
  return kPatchOp .. '{"op":"Replace","path":"active","value":"False"}]}'
end

local function department_body(n)
  return kPatchOp .. '{"op":"Replace","path":"' .. kEnterprise .. ':department",' ..
    '"value":"Department ' .. (n % 997) .. '"}]}'
end

local function email_body(n)
  return kPatchOp .. '{"op":"Replace","path":"emails[type eq \\"work\\"].value",' ..
    '"value":"moved-' .. tid .. '-' .. n .. '@fabrikam.example"}]}'
end

function init(args)
  -- With ~37 MB of live ids, LuaJIT's default pause (200%) lets tens of MB of per-request
  -- garbage build up and collects it in long steps: nginx's p99 went from 0.66 ms (1,000
  -- ids) to 12 ms (1M ids). Collecting continuously brings it back to 0.64 ms.
  collectgarbage("setpause", 100)
  mode = args[1]
  local token = os.getenv("SCIMD_TOKEN")
  if token == nil or token == "" then
    error("SCIMD_TOKEN is not set")
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  if mode == "fixed" then
    fixed_path = args[2]
    return
  end
  if mode ~= "patch" and mode ~= "get" then
    error("mode must be patch, get or fixed")
  end
  ids_blob, id_count = load_ids(args[2])  -- one string, not a table (ids.lua says why)
  math.randomseed(2000 + tid)
  counter = 0
  if mode == "patch" then
    wrk.headers["Content-Type"] = "application/scim+json"
  end
end

function request()
  if mode == "fixed" then
    return wrk.format("GET", fixed_path)
  end
  local k = (math.random(id_count) - 1) * 37
  local path = "/scim/v2/Users/" .. ids_blob:sub(k + 1, k + 36)
  if mode == "get" then
    return wrk.format("GET", path)
  end
  counter = counter + 1
  local kind = counter % 3
  local body
  if kind == 0 then
    body = disable_body()
  elseif kind == 1 then
    body = department_body(counter)
  else
    body = email_body(counter)
  end
  return wrk.format("PATCH", path, nil, body)
end

function done(summary, latency, requests)
  write_result(summary, latency)
end
