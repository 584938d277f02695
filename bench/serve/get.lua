-- get.lua: GET /v1/entities/ID for random ids of the items table.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local ids = load_lines(os.getenv("BENCH_IDS"))
request = function()
  return wrk.format("GET", "/v1/entities/" .. ids[math.random(#ids)])
end
