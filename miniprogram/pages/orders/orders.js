// My orders: state as the backend knows it; a pending order can be paid again (same order number).
const ordersApi = require('../../api/orders')
const pay = require('../../utils/pay')
const subscribe = require('../../utils/subscribe')
const {shanghaiTime} = require('../../utils/format')

Page({
  data: {loading: true, orders: [], busy: ''},

  onShow() {
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    try {
      const orders = (await ordersApi.myOrders()).map((o) => Object.assign({}, o, {
        created: shanghaiTime(o.created_at), paid: shanghaiTime(o.paid_at)}))
      this.setData({loading: false, orders})
    } catch (error) {
      this.setData({loading: false})
    }
  },

  async payAgain(event) {
    const orderNo = event.currentTarget.dataset.no
    if (this.data.busy) return
    this.setData({busy: orderNo})
    try {
      const {outcome} = await pay.payExisting(orderNo)
      if (outcome === 'cancelled') return
      if (outcome === 'paid') await subscribe.askFor('paid')
      wx.navigateTo({url: '/pages/pay-result/pay-result?order_no=' + orderNo +
        '&expect=' + (outcome === 'paid' ? 'paid' : 'unknown')})
    } catch (error) {
      this.load()
    } finally {
      this.setData({busy: ''})
    }
  },
})
