// The unit dashboard: a contact sees the unit's learners for a year (seat, hours, courses, certificate),
// filters by state and searches by name or the last four ID characters. Pages of 50, more on scroll.
const unitsApi = require('../../api/units')
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')

const FILTERS = [['all', '全部'], ['unpaid', '未开通'], ['not_started', '未开始'], ['learning', '学习中'],
  ['completed', '已完成'], ['certified', '已发证']]
const thisYear = () => new Date(Date.now() + 8 * 3600e3).getUTCFullYear()

Page({
  data: {loading: true, units: [], unitIndex: 0, years: [], yearIndex: 0, filters: FILTERS.map((f) => f[1]),
    filterIndex: 0, q: '', learners: [], summary: null, total: 0, page: 1, more: false},

  async onLoad(options) {
    if (!(await auth.ensureSignedIn())) {
      nav.toLogin('/pages/unit-dashboard/unit-dashboard')
      return
    }
    const years = [0, 1, 2].map((n) => thisYear() - n)
    try {
      const units = await unitsApi.myUnits()
      const wanted = units.findIndex((u) => String(u.id) === String((options || {}).id))
      this.setData({units, years, unitIndex: wanted >= 0 ? wanted : 0})
      if (units.length) await this.load(1)
    } finally {
      this.setData({loading: false})
    }
  },

  async load(page) {
    const unit = this.data.units[this.data.unitIndex]
    const answer = await unitsApi.unitLearners(unit.id, {year: this.data.years[this.data.yearIndex],
      status: FILTERS[this.data.filterIndex][0], q: this.data.q.trim(), page})
    const learners = page === 1 ? answer.learners : this.data.learners.concat(answer.learners)
    this.setData({learners, summary: answer.summary, total: answer.total, page,
      more: learners.length < answer.total})
  },

  pickUnit(event) {
    this.setData({unitIndex: Number(event.detail.value)})
    return this.load(1)
  },

  pickYear(event) {
    this.setData({yearIndex: Number(event.detail.value)})
    return this.load(1)
  },

  pickFilter(event) {
    this.setData({filterIndex: Number(event.detail.value)})
    return this.load(1)
  },

  typeQuery(event) {
    this.setData({q: event.detail.value})
  },

  search() {
    return this.load(1)
  },

  onReachBottom() {
    if (this.data.more) return this.load(this.data.page + 1)
    return undefined
  },
})
