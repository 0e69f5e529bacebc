-- PUT /api/movies/{id}/rating/ as a random user (bearer tokens, one per line, in BENCH_TOKENS)
-- on a random movie with a random half-star score.
local movies = tonumber(os.getenv("BENCH_MOVIES"))
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local token = tokens[math.random(1, #tokens)]
  local body = string.format('{"score": %.1f}', math.random(1, 10) / 2)
  return wrk.format("PUT", string.format("/api/movies/%d/rating/", math.random(1, movies)), {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
