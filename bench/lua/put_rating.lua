-- PUT /api/movies/{id}/rating/ as a random user (bearer tokens, one per line, in BENCH_TOKENS;
-- the first BENCH_USERS of them when set) on a random movie of the first BENCH_MOVIES with a
-- random half-star score. Many users over many movies: mostly fresh pairs; few over few: the
-- same pairs again (replacements). BENCH_WRITE_PATH: another path (`%d` for the movie).
-- BENCH_CLOSE=1 for a new connection per request.
local movies = tonumber(os.getenv("BENCH_MOVIES"))
local limit = tonumber(os.getenv("BENCH_USERS") or "0")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  if limit == 0 or #tokens < limit then tokens[#tokens + 1] = line end
end
local close = os.getenv("BENCH_CLOSE") == "1"
local target = os.getenv("BENCH_WRITE_PATH") or "/api/movies/%d/rating/"  -- %d: the movie

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local token = tokens[math.random(1, #tokens)]
  local body = string.format('{"score": %.1f}', math.random(1, 10) / 2)
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
  if close then headers["Connection"] = "close" end
  return wrk.format("PUT", string.format(target, math.random(1, movies)), headers, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
