-- search.lua: POST /v1/search, top 10 of the docs table for two random
-- words, filtered to one of 10 categories.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local words = load_lines(os.getenv("BENCH_WORDS"))
request = function()
  local body = string.format(
    '{"table":"docs","query":"%s %s","k":10,"where":"category = \'c%d\'"}',
    words[math.random(#words)], words[math.random(#words)], math.random(0, 9))
  return wrk.format("POST", "/v1/search", nil, body)
end
