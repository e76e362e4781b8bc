const {Playback} = require('../../utils/playback')
const {ApiError} = require('../../utils/request')

const SESSION = {session_id: 'sid-123456789', chapter_id: 5, duration: 12, heartbeat_seconds: 5,
  video_url: '/static/demo/chapter-12s.webm', resume_position: 4, watched_seconds: 4, complete: false}
const QUESTION = {id: 9, text: '每年须完成多少学时？', options: ['10', '20', '30']}

function fakeApi(beats) {
  const sent = []
  return {
    sent,
    startChapter: jest.fn(async () => Object.assign({}, SESSION)),
    heartbeat: jest.fn(async (payload) => {
      sent.push(payload)
      const next = beats.shift()
      if (next instanceof Error) throw next
      return Object.assign({status: 'ok', watched_seconds: 5, complete: false}, next)
    }),
    answerQuestion: jest.fn(),
  }
}

test('heartbeats are numbered and carry the position and whether the video played', async () => {
  const api = fakeApi([{}, {}])
  const p = new Playback('5', api)
  await p.start()
  expect(p.intervalMs).toBe(5000)
  await p.beat('play', 4, false)
  await p.beat('timer', 9.1234, true)
  expect(api.sent).toEqual([
    {session_id: 'sid-123456789', chapter_id: 5, seq: 1, position: 4, playing: false, event: 'play'},
    {session_id: 'sid-123456789', chapter_id: 5, seq: 2, position: 9.123, playing: true, event: 'timer'}])
  expect(api.startChapter).toHaveBeenCalledWith(5)
})

test('no seeking past the watched frontier; normal playback moves it on', async () => {
  const p = new Playback(5, fakeApi([]))
  await p.start()
  expect(p.frontier).toBe(4)
  expect(p.track(5)).toBeNull()
  expect(p.track(6.5)).toBeNull()
  expect(p.track(11)).toBe(6.5)
  expect(p.track(2)).toBeNull() // back is always fine
  expect(p.frontier).toBe(6.5)
})

test('a finished chapter may be watched again freely', async () => {
  const api = fakeApi([])
  api.startChapter.mockResolvedValue(Object.assign({}, SESSION, {complete: true, resume_position: 0}))
  const p = new Playback(5, api)
  await p.start()
  expect(p.track(11)).toBeNull()
})

test('a question: nothing is claimed as played until it is answered right', async () => {
  const api = fakeApi([{status: 'ask', question: QUESTION}, {status: 'ask', question: QUESTION}, {}])
  const p = new Playback(5, api)
  await p.start()
  await p.beat('timer', 9, true)
  expect(p.question).toEqual(QUESTION)
  await p.beat('timer', 9.5, true) // the page pauses at once; a late timer must not claim playing
  expect(api.sent[1].playing).toBe(false)

  api.answerQuestion.mockResolvedValueOnce({correct: false, ended: false, attempts_left: 2,
    question: {id: 10, text: '下一题', options: ['a', 'b']}})
  await p.answer(0)
  expect(api.answerQuestion).toHaveBeenLastCalledWith('sid-123456789', 9, 0)
  expect(p.question.id).toBe(10)
  expect(p.attemptsLeft).toBe(2)

  api.answerQuestion.mockResolvedValueOnce({correct: true})
  await p.answer(1)
  expect(api.answerQuestion).toHaveBeenLastCalledWith('sid-123456789', 10, 1)
  expect(p.question).toBeNull()
  await p.beat('timer', 10, true)
  expect(api.sent[2].playing).toBe(true)
})

test('too many wrong answers end the session', async () => {
  const api = fakeApi([{status: 'ask', question: QUESTION}])
  const p = new Playback(5, api)
  await p.start()
  await p.beat('timer', 9, true)
  api.answerQuestion.mockResolvedValueOnce({correct: false, ended: true, message: '回答错误次数过多，本次学习已结束，请重新开始播放'})
  await p.answer(0)
  expect(p.stopped).toBe(true)
  expect(p.message).toContain('回答错误次数过多')
  expect(await p.beat('timer', 10, true)).toBeNull()
  expect(api.sent).toHaveLength(1)
})

test('another device took over: stop with the server\'s message; starting again takes it back', async () => {
  const api = fakeApi([{status: 'taken_over', message: '您已在其他设备或页面开始学习，本页面已停止计时'}, {}])
  const p = new Playback(5, api)
  await p.start()
  await p.beat('timer', 9, true)
  expect(p.active).toBe(false)
  expect(p.message).toBe('您已在其他设备或页面开始学习，本页面已停止计时')
  await p.start()
  expect(p.active).toBe(true)
  expect(p.seq).toBe(0)
})

test('completion comes from the server; offline heartbeats are skipped quietly', async () => {
  const api = fakeApi([new ApiError('网络异常', {code: 'network_error'}), {watched_seconds: 11, complete: true}])
  const p = new Playback(5, api)
  await p.start()
  expect(await p.beat('timer', 9, true)).toBeNull()
  expect(p.active).toBe(true)
  await p.beat('ended', 12, true)
  expect(p.complete).toBe(true)
  expect(p.watched).toBe(11)
})

test('an unknown session (expired on the server) stops playback', async () => {
  const p = new Playback(5, fakeApi([{status: 'rejected', reason: 'unknown_session'}]))
  await p.start()
  await p.beat('timer', 9, true)
  expect(p.stopped).toBe(true)
  expect(p.message).toBe('本次学习已结束，请重新开始播放')
})
