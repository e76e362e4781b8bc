// A course: its cover and summary, its chapters and their state. Starting a chapter is the moment to ask for
// notifications.
const learningApi = require('../../api/learning')
const request = require('../../utils/request')
const subscribe = require('../../utils/subscribe')
const {clock, CHAPTER_STATES} = require('../../utils/format')

Page({
  data: {loading: true, course: null, chapters: [], coverUrl: '', notice: ''},

  onLoad(query) {
    this.courseId = Number(query.id)
    this.asked = false
  },

  onShow() {
    return this.load()
  },

  async load() {
    try {
      const course = await learningApi.course(this.courseId)
      wx.setNavigationBarTitle({title: course.title})
      const chapters = course.chapters.map((ch) => Object.assign({}, ch, {
        stateText: CHAPTER_STATES[ch.state] || ch.state, durationText: clock(ch.duration),
        percent: ch.duration ? Math.round((100 * ch.watched_seconds) / ch.duration) : 0}))
      const coverUrl = course.cover_url ? request.absoluteUrl(course.cover_url) : ''
      this.setData({loading: false, course, chapters, coverUrl, notice: ''})
    } catch (error) {
      this.setData({loading: false, notice: error.message})
    }
  },

  async play(event) {
    const chapter = this.data.chapters[Number(event.currentTarget.dataset.index)]
    if (!this.asked) {
      this.asked = true // once per visit: a tap is needed, and asking at every chapter would nag
      await subscribe.askFor('courseStart')
    }
    wx.navigateTo({url: '/pages/player/player?chapter_id=' + chapter.id + '&course_id=' + this.courseId +
      '&title=' + encodeURIComponent(this.data.course.title + ' · ' + chapter.title)})
  },
})
