// The payment result: polls the order and believes only the backend's status (set by WeChat Pay's
// verified notification), never what wx.requestPayment said.
const nav = require('../../utils/nav')
const pay = require('../../utils/pay')
const subscribe = require('../../utils/subscribe')
const {yuan} = require('../../utils/format')

const WAIT_MS = {paid: 60000, unknown: 8000}

Page({
  data: {state: 'waiting', order: null, amount: ''},

  onLoad(query) {
    this.orderNo = query.order_no
    this.expect = query.expect === 'paid' ? 'paid' : 'unknown'
    this.gone = false
    return this.poll()
  },

  onUnload() {
    this.gone = true
  },

  async poll() {
    this.setData({state: 'waiting'})
    let result
    try {
      result = await pay.waitForPaid(this.orderNo, {timeoutMs: WAIT_MS[this.expect], cancelled: () => this.gone,
        onPoll: (order) => order && this.setData({order, amount: yuan(order.amount_fen)})})
    } catch (error) {
      this.setData({state: 'error'})
      return
    }
    const order = result.order
    let state = 'pending'
    if (result.paid) state = 'paid'
    else if (order && order.status !== 'pending') state = 'closed'
    this.setData({state})
  },

  refresh() {
    this.expect = 'paid'
    return this.poll()
  },

  async payAgain() {
    let outcome = 'failed'
    try {
      outcome = (await pay.payExisting(this.orderNo)).outcome
    } catch (error) {
      // shown by the request layer (paid meanwhile, expired...): the order's state tells the rest
    }
    if (outcome === 'cancelled') return null
    if (outcome === 'paid') await subscribe.askFor('paid')
    this.expect = outcome === 'paid' ? 'paid' : 'unknown'
    return this.poll()
  },

  study() {
    nav.replace('/pages/plan/plan?id=' + this.data.order.project.id)
  },

  orders() {
    nav.replace('/pages/orders/orders')
  },

  rebuy() {
    nav.replace('/pages/project/project?id=' + this.data.order.project.id)
  },
})
