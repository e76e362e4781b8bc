jest.mock('../../api/learning')
const learningApi = require('../../api/learning')
const {ApiError} = require('../../utils/request')
const config = require('../../config')
const {load, render, flush, text} = require('../helpers/page')

const playerPage = load('pages', 'player')
const SESSION = {session_id: 'sid-abcdefgh', chapter_id: 31, duration: 12, heartbeat_seconds: 1,
  video_url: '/static/demo/chapter-12s.mp4', resume_position: 3, watched_seconds: 3, complete: false}
const QUESTION = {id: 9, text: '专业技术人员每年须完成多少学时的公需科目？', options: ['10 学时', '20 学时', '30 学时']}

let beats
function answer(next) {
  learningApi.heartbeat.mockImplementationOnce(async (payload) => {
    beats.push(payload)
    return Object.assign({status: 'ok', watched_seconds: 4, complete: false}, next)
  })
}

beforeEach(() => {
  beats = []
  learningApi.startChapter.mockResolvedValue(Object.assign({}, SESSION))
  learningApi.heartbeat.mockImplementation(async (payload) => {
    beats.push(payload)
    return {status: 'ok', watched_seconds: 4, complete: false}
  })
  jest.useFakeTimers()
})

afterEach(() => {
  jest.useRealTimers()
})

async function open() {
  const page = render(playerPage)
  await page.instance.onLoad({chapter_id: '31', course_id: '3', title: encodeURIComponent('数字经济 · 第1讲')})
  return page
}

const video = () => wx.__videos.video
const modal = (page) => page.querySelector('#question')

test('starts a server session and plays the chapter\'s video from where the learner left off', async () => {
  const page = await open()
  expect(learningApi.startChapter).toHaveBeenCalledWith(31)
  const node = page.querySelector('#video')
  expect(page.data.videoUrl).toBe(config.release.baseUrl + '/static/demo/chapter-12s.mp4')
  expect(page.data.initialTime).toBe(3)
  expect(node).toBeTruthy()
  expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({title: '数字经济 · 第1讲'})
  expect(text(page, '#watched')).toBe('00:03 / 00:12')
})

test('heartbeats: on play, every interval while playing, on pause, and at the end', async () => {
  const page = await open()
  await jest.advanceTimersByTimeAsync(3000) // not playing: no timer heartbeats
  expect(beats).toEqual([])
  page.instance.onPlay()
  page.instance.onTimeUpdate({detail: {currentTime: 4}})
  await jest.advanceTimersByTimeAsync(1000)
  page.instance.onTimeUpdate({detail: {currentTime: 5}})
  await jest.advanceTimersByTimeAsync(1000)
  page.instance.onPause()
  await jest.advanceTimersByTimeAsync(2000)
  expect(beats.map((b) => [b.event, b.seq, b.position, b.playing])).toEqual([
    ['play', 1, 3, true], ['timer', 2, 4, true], ['timer', 3, 5, true], ['pause', 4, 5, false]])
  expect(beats[0]).toMatchObject({session_id: 'sid-abcdefgh', chapter_id: 31})
  page.instance.onPlay()
  page.instance.onTimeUpdate({detail: {currentTime: 6}})
  answer({watched_seconds: 12, complete: true})
  page.instance.onEnded()
  await jest.advanceTimersByTimeAsync(0)
  expect(beats[beats.length - 1]).toMatchObject({event: 'ended', playing: false, position: 6})
  expect(text(page, '#state')).toBe('本章已完成')
  expect(page.querySelector('#done')).toBeTruthy()
})

test('the anti-idle question pauses playback until it is answered right', async () => {
  const page = await open()
  page.instance.onPlay()
  answer({status: 'ask', question: QUESTION})
  await jest.advanceTimersByTimeAsync(1000)
  expect(video().pause).toHaveBeenCalled()
  expect(modal(page).querySelector('.mask').dom.textContent).toContain(QUESTION.text)
  page.instance.onPause()
  await jest.advanceTimersByTimeAsync(0)
  expect(beats[beats.length - 1]).toMatchObject({event: 'pause', playing: false}) // nothing counts now
  const paused = video().pause.mock.calls.length
  page.instance.onPlay() // the learner presses play with the question open
  expect(video().pause).toHaveBeenCalledTimes(paused + 1)
  expect(beats[beats.length - 1].event).toBe('pause')

  learningApi.answerQuestion.mockResolvedValueOnce({correct: false, ended: false, attempts_left: 2,
    question: {id: 10, text: '一门课程的学时什么时候计入？', options: ['打开即可', '全部章节看完后']}})
  modal(page).querySelectorAll('.option')[0].dispatchEvent('tap')
  await jest.advanceTimersByTimeAsync(0)
  expect(learningApi.answerQuestion).toHaveBeenCalledWith('sid-abcdefgh', 9, 0)
  expect(modal(page).querySelector('.mask').dom.textContent).toContain('一门课程的学时什么时候计入？')
  expect(text(modal(page), '.dialog-error')).toBe('回答错误，请回答新的问题（还可回答 2 次）')

  learningApi.answerQuestion.mockResolvedValueOnce({correct: true})
  modal(page).querySelectorAll('.option')[1].dispatchEvent('tap')
  await jest.advanceTimersByTimeAsync(0)
  expect(learningApi.answerQuestion).toHaveBeenLastCalledWith('sid-abcdefgh', 10, 1)
  expect(modal(page).querySelector('.mask')).toBeFalsy()
  expect(video().play).toHaveBeenCalled()
})

test('a question takes the video back to where the server says before pausing', async () => {
  const page = await open()
  page.instance.onPlay()
  page.instance.onTimeUpdate({detail: {currentTime: 4}})
  page.instance.onTimeUpdate({detail: {currentTime: 5.2}})
  answer({status: 'ask', question: QUESTION, resume_position: 4})
  await jest.advanceTimersByTimeAsync(1000)
  expect(video().seek).toHaveBeenLastCalledWith(4)
  expect(video().pause).toHaveBeenCalled()
  page.instance.onPause()
  await jest.advanceTimersByTimeAsync(0)
  expect(beats[beats.length - 1]).toMatchObject({event: 'pause', playing: false, position: 4})
})

test('another device took over: a clear message, no more heartbeats, and a way to continue here', async () => {
  const page = await open()
  page.instance.onPlay()
  answer({status: 'taken_over', message: '您已在其他设备或页面开始学习，本页面已停止计时'})
  await jest.advanceTimersByTimeAsync(1000)
  expect(text(page, '#notice')).toBe('您已在其他设备或页面开始学习，本页面已停止计时')
  expect(video().pause).toHaveBeenCalled()
  const sent = beats.length
  await jest.advanceTimersByTimeAsync(5000)
  page.instance.onHide()
  expect(beats.length).toBe(sent)

  page.querySelector('#resume').dispatchEvent('tap')
  await jest.advanceTimersByTimeAsync(0)
  expect(learningApi.startChapter).toHaveBeenCalledTimes(2)
  expect(page.querySelector('#notice')).toBeFalsy()
  expect(video().seek).toHaveBeenCalledWith(3)
})

test('no seeking past what was watched', async () => {
  const page = await open()
  page.instance.onTimeUpdate({detail: {currentTime: 4}})
  page.instance.onTimeUpdate({detail: {currentTime: 10}})
  expect(video().seek).toHaveBeenCalledWith(4)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({title: '不能拖动到尚未观看的位置'}))
  page.instance.onTimeUpdate({detail: {currentTime: 1}})
  expect(video().seek).toHaveBeenCalledTimes(1)
})

test('leaving: a heartbeat on hide (and the video pauses) and on unload; the timer stops', async () => {
  const page = await open()
  page.instance.onPlay()
  page.instance.onTimeUpdate({detail: {currentTime: 4.5}})
  page.instance.onHide()
  await jest.advanceTimersByTimeAsync(0)
  expect(beats[beats.length - 1]).toMatchObject({event: 'hide', playing: true, position: 4.5})
  expect(video().pause).toHaveBeenCalled()
  page.instance.onUnload()
  await jest.advanceTimersByTimeAsync(5000)
  expect(beats.map((b) => b.event)).toEqual(['play', 'hide', 'unload'])
  expect(beats[2].playing).toBe(false)
})

test('a plan not owned: the server\'s message, nothing played', async () => {
  learningApi.startChapter.mockRejectedValue(new ApiError('请先购买该培训项目后再学习', {code: 'not_enrolled',
    status: 403}))
  const page = await open()
  expect(text(page, '#notice')).toBe('请先购买该培训项目后再学习')
  expect(page.querySelector('#video')).toBeFalsy()
  expect(page.querySelector('#resume')).toBeFalsy()
})

test('an expired video link is renewed and playback goes on at the same place', async () => {
  const page = await open()
  page.instance.onPlay()
  page.instance.onTimeUpdate({detail: {currentTime: 5}})
  learningApi.videoLink.mockResolvedValueOnce({video_url: '/media/chapters/31.mp4?u=1&e=2&s=new', expires_at: 2})
  await page.instance.onVideoError({detail: {errMsg: 'MEDIA_ERR_NETWORK'}})
  expect(learningApi.videoLink).toHaveBeenCalledWith(31)
  expect(page.instance.data.videoUrl).toBe(config.release.baseUrl + '/media/chapters/31.mp4?u=1&e=2&s=new')
  expect(video().seek).toHaveBeenLastCalledWith(page.instance.position)
  expect(video().play).toHaveBeenCalled()
  expect(page.instance.data.notice).toBe('')
  // A second failure straight after the renewal is a real problem: the learner is told.
  await page.instance.onVideoError({detail: {errMsg: 'MEDIA_ERR_NETWORK'}})
  expect(learningApi.videoLink).toHaveBeenCalledTimes(1)
  expect(page.instance.data.notice).toBe('视频加载失败，请检查网络后重试')
})
