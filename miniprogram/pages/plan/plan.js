// One plan: the credit requirement, completion, and its courses, paged.
const catalogApi = require('../../api/catalog')
const learningApi = require('../../api/learning')
const nav = require('../../utils/nav')

const PER_PAGE = 10

Page({
  data: {loading: true, project: null, progress: null, courses: [], page: 0, pages: 1, total: 0, loadingMore: false,
    notice: ''},

  onLoad(query) {
    this.projectId = Number(query.id)
  },

  onShow() {
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    return this.more()
  },

  /** The first page again (progress changes after watching). */
  async load() {
    try {
      const [project, first] = await Promise.all([catalogApi.project(this.projectId),
        learningApi.planCourses(this.projectId, 1, PER_PAGE)])
      wx.setNavigationBarTitle({title: project.name})
      this.setData({loading: false, project, progress: first.progress, courses: first.items, page: first.page,
        pages: first.pages, total: first.total, notice: ''})
    } catch (error) {
      this.setData({loading: false, notice: error.message})
    }
  },

  async more() {
    if (this.data.loadingMore || this.data.page >= this.data.pages) return
    this.setData({loadingMore: true})
    try {
      const next = await learningApi.planCourses(this.projectId, this.data.page + 1, PER_PAGE)
      this.setData({courses: this.data.courses.concat(next.items), page: next.page, pages: next.pages,
        progress: next.progress})
    } finally {
      this.setData({loadingMore: false})
    }
  },

  open(event) {
    nav.go('/pages/course/course?id=' + event.currentTarget.dataset.id)
  },

  certificates() {
    nav.go('/pages/certs/certs')
  },
})
