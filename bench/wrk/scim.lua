-- wrk script for scripts/load.sh. The bearer token comes from the environment variable
-- SCIMD_TOKEN (never from the command line, never printed).
--
--   wrk ... -s scim.lua URL -- seed QUOTA IDS_PREFIX NAME_PREFIX
--       POSTs exactly QUOTA users per wrk thread, writes the created ids to
--       IDS_PREFIX.<thread>, then creates IDS_PREFIX.<thread>.done and stops that thread
--       (bounded in count; -d bounds time; the caller ends wrk when all threads are done).
--   wrk ... -s scim.lua URL -- get IDS_FILE
--       GET /scim/v2/Users/<id> with ids picked at random from IDS_FILE.
--   wrk ... -s scim.lua URL -- post NAME_PREFIX
--       POST /scim/v2/Users with a unique userName per request (prefix, thread, counter).
--
-- done() prints one machine-readable line:
--   RESULT requests=N duration_s=S rps=R p50_ms=A p99_ms=B non2xx=K socket_errors=E
-- plus, in seed mode, SEEDED created=N.

-- The RESULT line (bench/wrk/result.lua, next to this script).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local write_result = dofile(here .. "result.lua")
local load_ids = dofile(here .. "ids.lua")

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- A typical Entra/Okta user (~1.1 KB rendered); `key` makes userName and emails unique.
local function user_body(key, n)
  return string.format(
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",' ..
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],' ..
    '"userName":"%s@contoso.example","externalId":"%s","active":true,' ..
    '"displayName":"Load User %s",' ..
    '"name":{"givenName":"Load","familyName":"User %s","formatted":"Load User %s"},' ..
    '"emails":[{"value":"%s@contoso.example","type":"work","primary":true},' ..
    '{"value":"%s@home.example","type":"home"}],' ..
    '"phoneNumbers":[{"value":"+1 555 0100","type":"work"}],' ..
    '"addresses":[{"type":"work","streetAddress":"1 Main St","locality":"Springfield",' ..
    '"region":"IL","postalCode":"62701","country":"US","primary":true}],' ..
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d",' ..
    '"department":"Load","costCenter":"4130",' ..
    '"manager":{"value":"0a3c1d2e-5b6f-4a7b-8c9d-0e1f2a3b4c5d"}}}',
    key, key, key, key, key, key, key, n)
end

-- Seed mode only: init() installs it as the global `response`. wrk looks for that global
-- after init() and parses response bodies only if it exists, which costs every request.
local function seed_response(status, headers, body)
  if status == 200 then
    return  -- a filler read
  end
  answered = answered + 1
  if status == 201 then
    created = created + 1
    local id = body:match('"id":"([%x%-]+)"')
    if id and ids_out ~= nil then
      ids_out:write(id, "\n")
    end
  end
  if answered >= quota and ids_out ~= nil then
    ids_out:close()
    ids_out = nil
    -- wrk itself runs for its whole -d; the caller watches for this marker and ends wrk
    -- with SIGINT once every thread has one.
    assert(io.open(ids_prefix .. "." .. tid .. ".done", "w")):close()
    wrk.thread:stop()
  end
end

function init(args)
  mode = args[1]
  local token = os.getenv("SCIMD_TOKEN")
  if token == nil or token == "" then
    error("SCIMD_TOKEN is not set")
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  counter = 0
  created = 0
  if mode == "seed" then
    quota = tonumber(args[2])
    ids_prefix = args[3]
    ids_out = assert(io.open(ids_prefix .. "." .. tid, "w"))
    name_prefix = args[4] .. "-" .. tid
    answered = 0
    wrk.headers["Content-Type"] = "application/scim+json"
    response = seed_response
    -- wrk calls request() once on thread 0 before it starts, to check the request, and
    -- sends nothing for it (wrk.c: script_verify_request for i == 0). Start that thread
    -- one lower so that exactly `quota` POSTs go out.
    if tid == 0 then
      counter = -1
    end
  elseif mode == "get" then
    -- One string, not a table of 1M ids, and garbage collected continuously (ids.lua):
    -- a table gave GET p99 of 73-231 ms at 1M users that were wrk's, not scimd's.
    collectgarbage("setpause", 100)
    ids_blob, id_count = load_ids(args[2])
    math.randomseed(1000 + tid)
  elseif mode == "post" then
    name_prefix = args[2] .. "-" .. tid
    wrk.headers["Content-Type"] = "application/scim+json"
  else
    error("mode must be seed, get or post")
  end
end

function request()
  if mode == "get" then
    local k = (math.random(id_count) - 1) * 37
    return wrk.format("GET", "/scim/v2/Users/" .. ids_blob:sub(k + 1, k + 36))
  end
  if mode == "seed" and counter >= quota then
    -- The quota is issued; keep the connections busy with a read until the last POST
    -- answers (wrk always wants a request).
    return wrk.format("GET", "/scim/v2/ServiceProviderConfig")
  end
  counter = counter + 1
  return wrk.format("POST", "/scim/v2/Users", nil,
                    user_body(name_prefix .. "-" .. counter, counter))
end

function done(summary, latency, requests)
  write_result(summary, latency)
  local total_created = 0
  for _, t in ipairs(threads) do
    total_created = total_created + (t:get("created") or 0)
  end
  if total_created > 0 then
    io.write(string.format("SEEDED created=%d\n", total_created))
  end
end
