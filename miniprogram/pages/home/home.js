// Home: this year's project, my progress in it, and the ways on.
const catalogApi = require('../../api/catalog')
const announcements = require('../../utils/announcements')
const learningApi = require('../../api/learning')
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')
const request = require('../../utils/request')
const {shanghaiYear} = require('../../utils/format')

/** This year's project if on sale, else the newest on sale, else the newest. */
function currentProject(projects, year) {
  return projects.find((p) => p.year === year && p.on_sale) || projects.find((p) => p.on_sale) ||
    projects[0] || null
}

Page({
  data: {loading: true, loggedIn: false, project: null, plan: null, others: [], notices: [], error: ''},

  onShow() {
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    const loggedIn = await auth.ensureSignedIn()
    this.setData({notices: await announcements.load()})
    try {
      const projects = await catalogApi.projects()
      const project = currentProject(projects, shanghaiYear())
      let plan = null
      if (loggedIn && project && project.owned) {
        plan = (await learningApi.myPlans()).find((p) => p.id === project.id) || null
      }
      const others = projects.filter((p) => !project || p.id !== project.id)
      this.setData({loading: false, loggedIn: request.isLoggedIn(), project, plan, others, error: ''})
    } catch (error) {
      this.setData({loading: false, loggedIn: request.isLoggedIn(), error: error.message})
    }
  },

  openProject() {
    const {project, plan} = this.data
    if (!project) return
    nav.go(plan ? '/pages/plan/plan?id=' + project.id : '/pages/project/project?id=' + project.id)
  },

  /** Another year's project: my plan when I own it, else its page (buy, or why it is not on sale). */
  openOther(event) {
    const {id, owned} = event.currentTarget.dataset
    nav.go(owned ? '/pages/plan/plan?id=' + id : '/pages/project/project?id=' + id)
  },

  goLogin() {
    nav.toLogin()
  },

  goTo(event) {
    nav.go(event.currentTarget.dataset.url)
  },
})
