// One playback session of a chapter, without the <video>: the player page feeds it positions and
// events; it numbers heartbeats, keeps the watched frontier, and follows what the server answers.
// It never decides what is credited: the server does, on its own clock.
const learningApi = require('../api/learning')

const SEEK_SLACK = 2 // seconds past the frontier a small jump may go (timeupdate granularity)
const DONE_TOLERANCE = 2 // the server's LEARNING_COMPLETE_TOLERANCE default: it also says `complete` itself
const ENDED_MESSAGE = '本次学习已结束，请重新开始播放'

class Playback {
  constructor(chapterId, api) {
    this.chapterId = Number(chapterId)
    this.api = api || learningApi
    this.reset()
  }

  reset() {
    this.session = null
    this.seq = 0
    this.frontier = 0
    this.watched = 0
    this.complete = false
    this.stopped = false
    this.message = ''
    this.question = null
    this.attemptsLeft = null
  }

  /** Start (or start again, taking over from any other device): the server's new session. */
  async start() {
    this.reset()
    const session = await this.api.startChapter(this.chapterId)
    this.session = session
    this.watched = session.watched_seconds || 0
    this.complete = Boolean(session.complete)
    // A finished chapter may be watched again freely; otherwise no further than already watched.
    this.frontier = this.complete ? session.duration : session.resume_position || 0
    return session
  }

  get active() {
    return Boolean(this.session) && !this.stopped
  }

  get intervalMs() {
    return ((this.session && this.session.heartbeat_seconds) || 5) * 1000
  }

  /**
   * The player reached `position` (seconds). Returns the position to seek back to when the learner
   * jumped past what was watched, else null (and the frontier follows normal playback).
   */
  track(position) {
    if (position > this.frontier + SEEK_SLACK) return this.frontier
    if (position > this.frontier) this.frontier = position
    return null
  }

  /**
   * Send one heartbeat; `playing` says whether the video is playing now (false on pause and at the
   * end: the server counts a stretch when the video played at either end of it). Resolves with the
   * server's answer (null when not active, or offline).
   */
  async beat(event, position, playing) {
    if (!this.active) return null
    this.seq += 1
    const payload = {session_id: this.session.session_id, chapter_id: this.chapterId, seq: this.seq,
      position: Math.max(0, Math.round(position * 1000) / 1000),
      // Nothing counts while a question is open: never claim playing then.
      playing: Boolean(playing) && !this.question, event}
    let answer
    try {
      answer = await this.api.heartbeat(payload)
    } catch (error) {
      if (error.code === 'network_error') return null // offline: the next heartbeat tells
      throw error
    }
    this.apply(answer)
    return answer
  }

  apply(answer) {
    this.watched = answer.watched_seconds
    if (answer.complete || (this.session && answer.watched_seconds >= this.session.duration - DONE_TOLERANCE)) {
      this.complete = true
    }
    if (answer.status === 'ask' && answer.question) {
      this.question = answer.question
      // Go back a little (a second before where the question opened): what played while it was open is
      // watched again after the answer, so the credited time runs on without a gap.
      if (typeof answer.resume_position === 'number') this.rewindTo = answer.resume_position
    } else if (answer.status === 'taken_over' || answer.status === 'ended') {
      this.stop(answer.message || ENDED_MESSAGE)
    } else if (answer.status === 'rejected' && answer.reason === 'unknown_session') {
      this.stop(ENDED_MESSAGE)
    }
  }

  stop(message) {
    this.stopped = true
    this.question = null
    this.message = message
  }

  /** Answer the open question; resolves with the server's answer and updates the state. */
  async answer(choice) {
    if (!this.question || !this.session) return null
    let result
    try {
      result = await this.api.answerQuestion(this.session.session_id, this.question.id, choice)
    } catch (error) {
      if (error.code === 'session_ended') this.stop(error.message)
      throw error
    }
    if (result.correct) {
      this.question = null
      this.attemptsLeft = null
    } else if (result.ended) {
      this.stop(result.message || ENDED_MESSAGE)
    } else {
      this.question = result.question
      this.attemptsLeft = result.attempts_left
    }
    return result
  }
}

module.exports = {Playback, SEEK_SLACK}
