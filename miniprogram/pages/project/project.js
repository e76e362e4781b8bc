// A project and buying it: the order, then wx.requestPayment with the backend's parameters, then the
// result page, which believes only the backend.
const catalogApi = require('../../api/catalog')
const nav = require('../../utils/nav')
const pay = require('../../utils/pay')
const request = require('../../utils/request')
const subscribe = require('../../utils/subscribe')

Page({
  data: {loading: true, project: null, busy: false, notice: '',
    invoice: {choice: 'later', titleType: 'personal', title: '', taxNo: ''}},

  onLoad(query) {
    this.projectId = Number(query.id)
  },

  onShow() {
    return this.load()
  },

  async load() {
    try {
      const project = await catalogApi.project(this.projectId)
      wx.setNavigationBarTitle({title: project.name})
      this.setData({loading: false, project})
    } catch (error) {
      this.setData({loading: false, notice: error.message})
    }
  },

  async buy() {
    if (this.data.busy) return
    if (!request.isLoggedIn()) {
      nav.toLogin('/pages/project/project?id=' + this.projectId)
      return
    }
    this.setData({busy: true, notice: ''})
    try {
      const {order, outcome} = await pay.buy(this.projectId, this.invoiceChoice())
      if (outcome === 'cancelled') {
        this.setData({notice: '已取消支付。订单保留 30 分钟，可在“我的订单”中继续支付'})
        return
      }
      if (outcome === 'paid') await subscribe.askFor('paid') // in the payment callback, as WeChat requires
      wx.redirectTo({url: '/pages/pay-result/pay-result?order_no=' + order.order_no +
        '&expect=' + (outcome === 'paid' ? 'paid' : 'unknown')})
    } catch (error) {
      this.setData({notice: error.message})
      if (error.status === 409) this.load() // owned already, or paid meanwhile
    } finally {
      this.setData({busy: false})
    }
  },

  /** The invoice choice sent with the order: "later", or "now" with the title (checked by the backend). */
  invoiceChoice() {
    const inv = this.data.invoice
    if (inv.choice !== 'now') return {choice: 'later'}
    const choice = {choice: 'now', title_type: inv.titleType, title: inv.title}
    if (inv.titleType === 'unit') choice.tax_no = inv.taxNo
    return choice
  },

  onInvoice(event) {
    this.setData({['invoice.' + event.currentTarget.dataset.field]: event.detail.value})
  },

  study() {
    nav.go('/pages/plan/plan?id=' + this.projectId)
  },
})
