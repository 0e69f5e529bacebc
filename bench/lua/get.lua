-- GET one path, or a random movie's path, optionally with a cache-busting parameter so every
-- request misses the response cache. Environment: BENCH_PATH (with %d for a random movie id),
-- BENCH_MOVIES (how many ids) or BENCH_IDS (which ids), BENCH_BUST=1 to miss the cache, BENCH_TOKEN (a bearer token sent
-- on every request, as a logged-in client does), BENCH_CLOSE=1 for a new connection per request.
local path = os.getenv("BENCH_PATH")
local movies = tonumber(os.getenv("BENCH_MOVIES") or "1")
local ids = {}  -- BENCH_IDS: comma-separated movie ids to pick from instead of 1..BENCH_MOVIES
for id in (os.getenv("BENCH_IDS") or ""):gmatch("%d+") do ids[#ids + 1] = tonumber(id) end
local bust = os.getenv("BENCH_BUST") == "1"
local token = os.getenv("BENCH_TOKEN") or ""
local headers = {["Accept"] = "application/json"}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
if os.getenv("BENCH_CLOSE") == "1" then headers["Connection"] = "close" end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local p = path
  if p:find("%%d") then
    p = string.format(p, #ids > 0 and ids[math.random(1, #ids)] or math.random(1, movies))
  end
  if bust then
    p = p .. (p:find("?", 1, true) and "&" or "?") .. "bust=" .. math.random(1, 2000000000)
  end
  return wrk.format("GET", p, headers)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
