-- mixed.lua: reads and writes at once: 80% GET by id, 10% inserts of new
-- items, 10% merge patches of existing ones.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = load_lines(os.getenv("BENCH_IDS"))
local n = 0
request = function()
  local r = math.random(100)
  if r <= 80 then
    return wrk.format("GET", "/v1/entities/" .. ids[math.random(#ids)])
  end
  if r <= 90 then
    n = n + 1
    local body = string.format(
      '{"key":"w-%d-%d","title":"written under load","status":"open","priority":%d,"owner":"u%d"}',
      tid, n, math.random(1, 5), math.random(0, 99))
    return wrk.format("POST", "/v1/tables/items/entities", nil, body)
  end
  return wrk.format("PATCH", "/v1/entities/" .. ids[math.random(#ids)], nil,
    string.format('{"priority":%d,"status":"closed"}', math.random(1, 5)))
end
