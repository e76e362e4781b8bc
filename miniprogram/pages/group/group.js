// Group purchase for a unit's approved contact: paste the list or pick the unit's xlsx from a chat,
// see every line's verdict (never anything stored about a person), order the valid lines and pay.
const groupApi = require('../../api/group')
const catalogApi = require('../../api/catalog')
const group = require('../../utils/group')
const subscribe = require('../../utils/subscribe')

Page({
  data: {loading: true, units: [], unitIndex: 0, projects: [], projectIndex: 0, lines: '', check: null, busy: '',
    error: ''},

  async onLoad() {
    try {
      const [mine, projects] = await Promise.all([groupApi.myUnits(), catalogApi.projects()])
      this.setData({loading: false, units: mine.units, projects: projects.filter((p) => p.on_sale)})
    } catch (error) {
      this.setData({loading: false})
    }
  },

  pickUnit(event) { this.setData({unitIndex: Number(event.detail.value)}) },
  pickProject(event) { this.setData({projectIndex: Number(event.detail.value)}) },
  typeLines(event) { this.setData({lines: event.detail.value}) },

  ids() {
    const unit = this.data.units[this.data.unitIndex]
    const project = this.data.projects[this.data.projectIndex]
    return {unitId: unit && unit.id, projectId: project && project.id}
  },

  async checkPasted() {
    const {unitId, projectId} = this.ids()
    if (!this.data.lines.trim() || this.data.busy) return
    this.setData({busy: 'check', error: ''})
    try {
      this.setData({check: await groupApi.checkLines(projectId, unitId, this.data.lines)})
    } catch (error) {
      this.setData({error: error.message})
    } finally {
      this.setData({busy: ''})
    }
  },

  async checkXlsx() {
    const {unitId, projectId} = this.ids()
    if (this.data.busy) return
    let file
    try {
      file = await group.chooseXlsx()
    } catch (err) {
      return // cancelled
    }
    this.setData({busy: 'upload', error: ''})
    try {
      this.setData({check: await group.checkFile(projectId, unitId, file.path)})
    } catch (error) {
      this.setData({error: error.message})
    } finally {
      this.setData({busy: ''})
    }
  },

  async orderAndPay() {
    if (!this.data.check || this.data.busy) return
    this.setData({busy: 'pay'})
    try {
      const {order, outcome} = await group.orderAndPay(this.data.check.check_id)
      if (outcome === 'cancelled') {
        wx.navigateTo({url: '/pages/group-orders/group-orders'})
        return
      }
      if (outcome === 'paid') await subscribe.askFor('paid')
      wx.navigateTo({url: '/pages/pay-result/pay-result?order_no=' + order.order_no +
        '&expect=' + (outcome === 'paid' ? 'paid' : 'unknown')})
    } catch (error) {
      this.setData({error: error.message})
    } finally {
      this.setData({busy: ''})
    }
  },
})
