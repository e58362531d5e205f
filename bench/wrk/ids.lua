-- The ids of an ids file (36-character ids, one a line) for bench/wrk scripts that pick
-- resources at random. Loaded with dofile; returns a function(path) -> blob, count; the id
-- at 0-based index k is blob:sub(37 * k + 1, 37 * k + 36).
--
-- The ids stay one string of fixed-width lines, not a table of 1M strings: LuaJIT's GC
-- would traverse such a table and stall wrk's event loop for tens of ms, which shows up as
-- server latency in p99 (nginx p99 43 ms in issue #6; scimd GET p99 73-231 ms at 1M users
-- in issue #19). Callers also collect garbage continuously (collectgarbage("setpause", 100)).
return function(path)
  local f = assert(io.open(path, "rb"))
  local blob = f:read("*a")
  f:close()
  local count = #blob / 37
  if count < 1 or count ~= math.floor(count) or blob:sub(37, 37) ~= "\n" then
    error("ids file " .. path .. " must hold 36-character ids, one a line")
  end
  return blob, count
end
