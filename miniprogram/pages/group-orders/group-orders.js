// Group orders I placed for my unit: their seats (the names I typed, masked ID numbers, 待支付 until
// paid), and paying a pending one again (same order number).
const groupApi = require('../../api/group')
const pay = require('../../utils/pay')
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
      const orders = (await groupApi.groupOrders()).map((o) => Object.assign({}, o, {created: shanghaiTime(o.created_at)}))
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
      wx.navigateTo({url: '/pages/pay-result/pay-result?order_no=' + orderNo +
        '&expect=' + (outcome === 'paid' ? 'paid' : 'unknown')})
    } catch (error) {
      this.load()
    } finally {
      this.setData({busy: ''})
    }
  },
})
