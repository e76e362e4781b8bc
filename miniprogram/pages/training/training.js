// My training: the plans I own, each with its credit requirement and completion.
const learningApi = require('../../api/learning')
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')

Page({
  data: {loading: true, loggedIn: false, plans: []},

  onShow() {
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    if (!(await auth.ensureSignedIn())) {
      this.setData({loading: false, loggedIn: false, plans: []})
      return
    }
    try {
      this.setData({loading: false, loggedIn: true, plans: await learningApi.myPlans()})
    } catch (error) {
      this.setData({loading: false})
    }
  },

  open(event) {
    nav.go('/pages/plan/plan?id=' + event.currentTarget.dataset.id)
  },

  login() {
    nav.toLogin('/pages/training/training')
  },

  browse() {
    nav.go('/pages/home/home')
  },
})
