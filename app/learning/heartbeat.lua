-- One heartbeat of a playback session, decided in one round trip on the server's clock, the learner's
-- credentials included.
-- No KEYS: the keys are named here from the uid (a credential's uid is known only once its key is read),
-- as app/learning/keys.py names them.
-- ARGV: 1 now_ms, 2 session id, 3 uid ('' with a credential key), 4 chapter id, 5 seq, 6 position_ms,
--       7 playing (0/1), 8 the key of the bearer token or of the browser session ('' with a uid), 9 the
--       session version to check ('' when the caller has checked the uid)
-- The app's settings are not arguments: playback.heartbeat_source() puts them before this text, as
-- `local tol, max_gap, done_tol, interval, ttl, events_max, events_window = …` (tolerance ms, max gap ms,
-- complete tolerance s, heartbeat interval ms, ttl of the per-chapter keys s, detailed records per learner
-- and window, window s).
-- Returns {status, credited_ms, covered_s, newly_complete (0/1), reason, question_id, position_ms, uid,
-- version} (position_ms: with "ask", the position the question opened at; else ''), or
-- {'unauthorized'}, or {'version_unknown', uid, version} when the account's version is not cached (the
-- caller reads it from the database and asks again with the checked uid).
--
-- Crediting rules (all on the server's clock; the client only reports a position):
-- * A stretch between two heartbeats counts when the video was playing at either end of it (the player
--   reports playing=false on pause and at the end, for the stretch that led there).
-- * It earns at most the position advanced, at most the time since the previous heartbeat plus the
--   tolerance, and at most the session's credit `bank`: real time accrued minus credit spent. The bank
--   starts at -tolerance (a session's first heartbeat cannot outrun the time since it began) and carries
--   at most `tolerance` of unspent time from one heartbeat to the next, so neither pauses, idling nor an
--   open question can be saved up and spent in a burst: over any stretch, credit <= real time + 2 tolerances,
--   and over a whole session, credit <= real time. An answered question restarts the bank at -tolerance
--   (ANSWER_LUA in prompts.py): a right answer buys no time.
-- * A position that moved further than that by more than the tolerance is a jump (a seek past the watched
--   frontier, or playback faster than 1x): that heartbeat earns nothing.
-- * After a silence longer than max_gap (offline, heartbeats held back), only the first heartbeat
--   interval of it can count (the part before the lost heartbeat), whatever the position says.
-- * Coverage is one bit per second, set only for seconds that lie wholly inside a contiguous credited run,
--   so no series of tiny credits straddling second boundaries can collect whole seconds.
local now = tonumber(ARGV[1])
local sid, uid, chapter = ARGV[2], ARGV[3], ARGV[4]

-- Who is asking (policy.current_user_id's rules): a bearer token names "uid:version", a browser session
-- (sess:<id>) holds JSON with the uid and version of its login; the version must be the account's current
-- one (uver:<uid>, "off" for a disabled account, never equal to a version).
local version = ARGV[9]
if ARGV[8] ~= '' then
  local ref = redis.call('GET', ARGV[8])
  if not ref then return {'unauthorized'} end
  if string.sub(ARGV[8], 1, 5) == 'sess:' then
    local ok, data = pcall(cjson.decode, ref)
    if not ok or type(data) ~= 'table' or type(data.uid) ~= 'number' or type(data.ver) ~= 'number' then
      return {'unauthorized'}
    end
    uid, version = string.format('%d', data.uid), string.format('%d', data.ver)
  else
    uid, version = string.match(ref, '^(%d+):(.*)$')
  end
  if not uid or version == '' then return {'unauthorized'} end
end
if version ~= '' then
  local current = redis.call('GET', 'uver:' .. uid)
  if not current then return {'version_unknown', uid, version} end
  if current ~= version then return {'unauthorized'} end
end
local key = {'learn:s:' .. sid, 'learn:active:' .. uid, 'learn:cov:' .. uid .. ':' .. chapter, 'learn:dirty',
             'learn:events', 'learn:pos:' .. uid .. ':' .. chapter, 'learn:done:' .. uid .. ':' .. chapter,
             'learn:evq:' .. uid, 'learn:events:more'}
local s = key[1]
local function reply(r)
  r[7] = r[7] or ''
  r[8], r[9] = uid, version
  return r
end
local seq, pos, playing = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1'

-- Every refusal is recorded: a learner's first records of a window in detail, the rest counted per learner
-- and reason, so one account sending refusals fast cannot push other learners' records out of the list.
local function event(reason, detail)
  local n = redis.call('INCR', key[8])
  if n == 1 then redis.call('EXPIRE', key[8], events_window) end
  if n > events_max then
    redis.call('HINCRBY', key[9], uid .. ':' .. reason, 1)
    return
  end
  redis.call('RPUSH', key[5], cjson.encode({uid = uid, chapter = chapter, sid = sid, reason = reason,
                                             detail = detail, at = now}))
  redis.call('LTRIM', key[5], -100000, -1)  -- a last resort: each learner's share is bounded above
end

local h = redis.call('HMGET', s, 'uid', 'chapter', 'duration', 'last_seq', 'last_ts', 'last_pos', 'credited',
                     'started', 'prompt_at', 'prompt_qid', 'state', 'questions', 'bank', 'playing', 'run_from',
                     'run_to')
if not h[1] then
  -- Expired, never issued, or lost with Redis: the player must start a new session.
  event('stale_session', 'unknown or expired session')
  return reply({'ended', 0, 0, 0, 'unknown_session', ''})
end
if h[1] ~= uid or h[2] ~= chapter then
  event('stale_session', 'session of another learner or chapter')
  return reply({'rejected', 0, 0, 0, 'stale_session', ''})
end
if h[11] ~= 'active' then
  return reply({'ended', 0, redis.call('BITCOUNT', key[3]), 0, 'ended', ''})
end
if redis.call('GET', key[2]) ~= sid then
  event('stale_session', 'another session took over')
  return reply({'taken_over', 0, redis.call('BITCOUNT', key[3]), 0, 'stale_session', ''})
end
local last_seq = tonumber(h[4])
if seq <= last_seq then
  local why = (seq == last_seq) and 'replay' or 'out_of_order'
  event(why, 'seq ' .. seq .. ' after ' .. last_seq)
  return reply({'rejected', 0, redis.call('BITCOUNT', key[3]), 0, why, ''})
end

local duration_ms = tonumber(h[3]) * 1000
local last_ts, last_pos = tonumber(h[5]), tonumber(h[6])
local credited = tonumber(h[7])
local bank = tonumber(h[13]) or -tol
local was_playing = h[14] == '1'
local run_from, run_to = tonumber(h[15]) or -1, tonumber(h[16]) or -1
local elapsed = now - last_ts
local reason = ''
if pos < 0 then pos = 0 end
if pos > duration_ms then
  if pos > duration_ms + tol then
    reason = 'beyond_duration'
    event(reason, 'position ' .. pos .. ' ms')
  end
  pos = duration_ms
end
if now < last_ts then now = last_ts end  -- never let the clock run backwards within a session

-- A question is open: nothing counts, and its time is not credited afterwards either. The position is
-- kept where the question opened: after the answer, the next heartbeat's advance from there must fit in
-- the time since the answer (a paused player's few ms do; a script that kept "playing" jumps and earns
-- nothing), and the credited run goes on without a seam.
if h[10] ~= '' then
  redis.call('HSET', s, 'last_seq', seq, 'last_ts', now, 'bank', -tol, 'playing', 0)
  if playing then event('prompt_pending', 'heartbeat while a question is open') end
  return reply({'ask', 0, redis.call('BITCOUNT', key[3]), 0, 'prompt_pending', h[10], h[6]})
end

if elapsed > 0 then
  bank = math.min(bank, tol) + elapsed
end
local credit = 0
local advanced = pos - last_pos
if (playing or was_playing) and advanced > 0 and elapsed > 0 then
  if elapsed > max_gap then
    -- A long silence (offline, or heartbeats held back) earns nothing, except the first heartbeat
    -- interval of it: the learner was there when the last heartbeat arrived, the next one was lost.
    credit = math.min(advanced, interval + tol, bank + tol)
    reason = (reason ~= '' and reason) or 'gap'
    event('gap', 'no heartbeat for ' .. elapsed .. ' ms')
  else
    local allowed = math.min(elapsed + tol, bank + tol)
    if advanced <= allowed then
      credit = advanced
    elseif advanced <= allowed + tol then
      credit = allowed
    end
    if credit < advanced then
      reason = (reason ~= '' and reason) or 'too_fast'
      event('too_fast', 'advanced ' .. advanced .. ' ms in ' .. elapsed .. ' ms, credited ' .. credit)
    end
  end
  credit = math.max(0, credit)
end

if credit > 0 then
  -- The credited stretch is [last_pos, last_pos + credit); it extends the run that ended at last_pos.
  if run_from < 0 or run_to ~= last_pos then run_from = last_pos end
  run_to = last_pos + credit
  local first = math.max(math.ceil(run_from / 1000), math.floor(last_pos / 1000))
  local last = math.floor(run_to / 1000) - 1
  -- The seconds [first, last] in one call (a heartbeat credits ~15): bits in a row set as unsigned fields
  -- of up to 32 ones, at most 1,000 fields per call (unpack's limit is ~8,000 values).
  local set = {}
  for from = first, last, 32 do
    local width = math.min(32, last - from + 1)
    set[#set + 1], set[#set + 2], set[#set + 3], set[#set + 4] = 'SET', 'u' .. width, from, 2 ^ width - 1
    if #set == 4000 then
      redis.call('BITFIELD', key[3], unpack(set))
      set = {}
    end
  end
  if #set > 0 then redis.call('BITFIELD', key[3], unpack(set)) end
  redis.call('EXPIRE', key[3], ttl)
end

credited = credited + credit
bank = bank - credit
redis.call('HSET', s, 'last_seq', seq, 'last_ts', now, 'last_pos', pos, 'credited', credited, 'bank', bank,
           'playing', playing and 1 or 0, 'run_from', run_from, 'run_to', run_to)
redis.call('SET', key[6], math.floor(pos / 1000), 'EX', ttl)
redis.call('SADD', key[4], uid .. ':' .. chapter)

local covered = redis.call('BITCOUNT', key[3])
local newly = 0
if covered >= tonumber(h[3]) - done_tol then
  if redis.call('SET', key[7], now, 'NX', 'EX', ttl) then newly = 1 end
end

-- Anti-idle: once enough credited time has passed, the next answer asks a question.
local prompt_at = tonumber(h[9])
if prompt_at > 0 and credited >= prompt_at and h[12] ~= '' then
  local qid = string.match(h[12], '^([^,]+)')
  local rest = string.sub(h[12], string.len(qid) + 2)
  if rest == '' then rest = qid else rest = rest .. ',' .. qid end
  redis.call('HSET', s, 'prompt_qid', qid, 'questions', rest, 'prompt_opened', now)
  return reply({'ask', credit, covered, newly, reason, qid, pos})
end
return reply({'ok', credit, covered, newly, reason, ''})
