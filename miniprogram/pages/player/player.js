// The player: a <video> at 1x that reports heartbeats on a timer, on play, pause and end, and when
// the page is hidden or closed; shows the anti-idle question as a modal that pauses playback; stops
// clearly when another device takes over; never lets the learner seek past what was watched.
// The server credits time on its own clock; this page only reports.
const learningApi = require('../../api/learning')
const {Playback} = require('../../utils/playback')
const request = require('../../utils/request')
const {clock} = require('../../utils/format')

Page({
  data: {videoUrl: '', initialTime: 0, title: '', duration: 0, watched: 0, watchedText: '00:00',
    durationText: '00:00', complete: false, question: null, questionError: '', answering: false,
    notice: '', stopped: false, started: false},

  onLoad(query) {
    this.playback = new Playback(query.chapter_id)
    this.position = 0
    this.playing = false
    this.timer = null
    this.video = null
    this.setData({title: query.title ? decodeURIComponent(query.title) : ''})
    if (this.data.title) wx.setNavigationBarTitle({title: this.data.title})
    return this.start()
  },

  /** The <video>'s context (made on first use: the element appears once the session is there). */
  ctx() {
    if (!this.video) this.video = wx.createVideoContext('video', this)
    return this.video
  },

  /** A new server session (also "continue on this device" after another device took over). */
  async start() {
    this.stopTimer()
    let session
    try {
      session = await this.playback.start()
    } catch (error) {
      this.retryOnShow = error.code === 'unauthorized' // back from the login page: start then
      this.setData({notice: error.message, stopped: true})
      return
    }
    this.retryOnShow = false
    this.position = session.resume_position || 0
    this.playing = false
    if (this.video) this.ctx().seek(this.position) // continuing here: from where the server says
    this.setData({videoUrl: request.absoluteUrl(session.video_url), initialTime: this.position, started: true,
      duration: session.duration, durationText: clock(session.duration), notice: '', stopped: false})
    this.sync()
    this.timer = setInterval(() => this.tick(), this.playback.intervalMs)
  },

  stopTimer() {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  },

  tick() {
    if (this.playing) this.send('timer', true)
  },

  /** One heartbeat; `playing`: is the video playing now (the server counts a stretch playing at either end). */
  async send(event, playing) {
    try {
      await this.playback.beat(event, this.position, playing)
    } catch (error) {
      return // the request layer handled it (login expired); the next heartbeat tries again
    }
    this.sync()
  },

  /** Show what the session knows now; pause for a question or when stopped. */
  sync() {
    const p = this.playback
    const asking = Boolean(p.question)
    if (asking && typeof p.rewindTo === 'number') {
      if (this.position > p.rewindTo) {
        this.position = p.rewindTo
        this.ctx().seek(p.rewindTo)
      }
      p.rewindTo = null
    }
    if (asking || p.stopped) this.ctx().pause()
    if (p.stopped) this.stopTimer()
    this.setData({watched: p.watched, watchedText: clock(p.watched), complete: p.complete, question: p.question,
      stopped: p.stopped, notice: p.stopped ? p.message : this.data.notice})
  },

  onPlay() {
    if (this.playback.question || !this.playback.active) {
      this.ctx().pause()
      return
    }
    this.playing = true
    this.send('play', true)
  },

  onPause() {
    if (!this.playing) return
    this.playing = false
    this.send('pause', false) // the stretch up to the pause still counts: it was playing at its start
  },

  onEnded() {
    this.playing = false
    this.send('ended', false)
  },

  onTimeUpdate(event) {
    const position = event.detail.currentTime
    const back = this.playback.track(position)
    if (back === null) {
      this.position = position
      return
    }
    this.position = back
    this.ctx().seek(back)
    wx.showToast({title: '不能拖动到尚未观看的位置', icon: 'none'})
  },

  /** The video link expired (a long pause, a seek) or the network failed: renew the link once and go on at the
   * same place; only when that fails too is the learner told. */
  async onVideoError() {
    if (this.renewing || !this.data.started) return
    const now = Date.now()
    if (this.renewedAt && now - this.renewedAt < 5000) {
      this.setData({notice: '视频加载失败，请检查网络后重试'})
      return
    }
    this.renewing = true
    const resume = this.playing
    try {
      const link = await learningApi.videoLink(this.playback.chapterId)
      this.renewedAt = Date.now()
      this.setData({videoUrl: request.absoluteUrl(link.video_url), initialTime: this.position})
      this.ctx().seek(this.position)
      if (resume) this.ctx().play()
    } catch (error) {
      this.setData({notice: '视频加载失败，请检查网络后重试'})
    } finally {
      this.renewing = false
    }
  },

  async onAnswer(event) {
    if (this.data.answering) return
    this.setData({answering: true, questionError: ''})
    let result = null
    try {
      result = await this.playback.answer(event.detail.choice)
    } catch (error) {
      this.setData({questionError: error.message})
    }
    this.setData({answering: false})
    this.sync()
    if (!result) return
    if (result.correct) {
      this.ctx().play()
    } else if (!result.ended) {
      this.setData({questionError: '回答错误，请回答新的问题（还可回答 ' + result.attempts_left + ' 次）'})
    }
  },

  resume() {
    return this.start()
  },

  back() {
    wx.navigateBack()
  },

  onShow() {
    if (this.retryOnShow) this.start()
  },

  onHide() {
    if (this.playback.active) this.send('hide', this.playing)
    this.playing = false
    this.ctx().pause()
  },

  onUnload() {
    this.stopTimer()
    if (this.playback.active) this.send('unload', this.playing)
    this.playing = false
  },
})
