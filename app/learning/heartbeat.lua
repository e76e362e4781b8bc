-- One heartbeat of a playback session, decided in one round trip on the server's clock.
-- KEYS: 1 session hash, 2 learner's active-session key, 3 coverage bitmap, 4 dirty set,
--       5 events list, 6 last-position key, 7 completion marker
-- ARGV: 1 now_ms, 2 session id, 3 uid, 4 chapter id, 5 seq, 6 position_ms, 7 playing (0/1),
--       8 tolerance_ms, 9 max_gap_ms, 10 complete_tolerance_s, 11 dirty member
-- Returns {status, credited_ms, covered_s, newly_complete (0/1), reason, question_id}
local s = KEYS[1]
local now = tonumber(ARGV[1])
local sid, uid, chapter = ARGV[2], ARGV[3], ARGV[4]
local seq, pos, playing = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1'
local tol, max_gap, done_tol = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])

local function event(reason, detail)
  redis.call('RPUSH', KEYS[5], cjson.encode({uid = uid, chapter = chapter, sid = sid, reason = reason,
                                             detail = detail, at = now}))
  redis.call('LTRIM', KEYS[5], -100000, -1)
end

local h = redis.call('HMGET', s, 'uid', 'chapter', 'duration', 'last_seq', 'last_ts', 'last_pos', 'credited',
                     'started', 'prompt_at', 'prompt_qid', 'state', 'questions')
if not h[1] then
  return {'rejected', 0, 0, 0, 'unknown_session', ''}
end
if h[1] ~= uid or h[2] ~= chapter then
  event('stale_session', 'session of another learner or chapter')
  return {'rejected', 0, 0, 0, 'stale_session', ''}
end
if h[11] ~= 'active' then
  return {'ended', 0, redis.call('BITCOUNT', KEYS[3]), 0, 'ended', ''}
end
if redis.call('GET', KEYS[2]) ~= sid then
  event('stale_session', 'another session took over')
  return {'taken_over', 0, redis.call('BITCOUNT', KEYS[3]), 0, 'stale_session', ''}
end
local last_seq = tonumber(h[4])
if seq <= last_seq then
  local why = (seq == last_seq) and 'replay' or 'out_of_order'
  event(why, 'seq ' .. seq .. ' after ' .. last_seq)
  return {'rejected', 0, redis.call('BITCOUNT', KEYS[3]), 0, why, ''}
end

local duration_ms = tonumber(h[3]) * 1000
local last_ts, last_pos = tonumber(h[5]), tonumber(h[6])
local credited, started = tonumber(h[7]), tonumber(h[8])
local elapsed = now - last_ts
local reason = ''
if pos < 0 then pos = 0 end
if pos > duration_ms + tol then
  reason = 'beyond_duration'
  event(reason, 'position ' .. pos .. ' ms')
  pos = duration_ms
end

-- A question is open: nothing counts, and its time is not credited afterwards either.
if h[10] ~= '' then
  redis.call('HSET', s, 'last_seq', seq, 'last_ts', now, 'last_pos', pos)
  if playing then event('prompt_pending', 'heartbeat while a question is open') end
  return {'ask', 0, redis.call('BITCOUNT', KEYS[3]), 0, 'prompt_pending', h[10]}
end

local credit = 0
local advanced = pos - last_pos
if playing and advanced > 0 and elapsed > 0 then
  if elapsed > max_gap then
    -- A long silence (offline, or heartbeats held back): that stretch earns nothing.
    reason = (reason ~= '' and reason) or 'gap'
    event('gap', 'no heartbeat for ' .. elapsed .. ' ms')
  else
    -- Never more than real time since the last heartbeat, nor since the session began.
    local allowed = math.min(elapsed + tol, (now - started) - credited + tol)
    credit = math.max(0, math.min(advanced, allowed))
    if advanced > allowed + tol then
      reason = (reason ~= '' and reason) or 'too_fast'
      event('too_fast', 'advanced ' .. advanced .. ' ms in ' .. elapsed .. ' ms')
    end
    local first = math.floor(last_pos / 1000)
    local last = math.floor((last_pos + credit) / 1000) - 1
    for sec = first, last do
      redis.call('SETBIT', KEYS[3], sec, 1)
    end
  end
end

credited = credited + credit
redis.call('HSET', s, 'last_seq', seq, 'last_ts', now, 'last_pos', pos, 'credited', credited)
redis.call('SET', KEYS[6], math.floor(pos / 1000))
redis.call('SADD', KEYS[4], ARGV[11])

local covered = redis.call('BITCOUNT', KEYS[3])
local newly = 0
if covered >= tonumber(h[3]) - done_tol then
  if redis.call('SET', KEYS[7], now, 'NX') then newly = 1 end
end

-- Anti-idle: once enough credited time has passed, the next answer asks a question.
local prompt_at = tonumber(h[9])
if prompt_at > 0 and credited >= prompt_at and h[12] ~= '' then
  local qid = string.match(h[12], '^([^,]+)')
  local rest = string.sub(h[12], string.len(qid) + 2)
  if rest == '' then rest = qid else rest = rest .. ',' .. qid end
  redis.call('HSET', s, 'prompt_qid', qid, 'questions', rest, 'prompt_opened', now)
  return {'ask', credit, covered, newly, reason, qid}
end
return {'ok', credit, covered, newly, reason, ''}
