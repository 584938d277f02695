-- sql.lua: POST /v1/sql, an indexed equality (0.1% of the items table)
-- with the value as a parameter.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local owners = tonumber(os.getenv("BENCH_OWNERS"))
request = function()
  local body = string.format(
    '{"sql":"SELECT id, title, priority FROM items WHERE owner = ?1","params":["u%d"]}',
    math.random(0, owners - 1))
  return wrk.format("POST", "/v1/sql", nil, body)
end
