// Buying a plan: orders and WeChat Pay parameters (/api/v1/orders).
const {get, post} = require('../utils/request')

/** An order for my own seat (an open one for the same plan comes back again); invoice later. */
function createOrder(projectId, invoice) {
  return post('/orders', {project_id: projectId, invoice: invoice || {choice: 'later'}})
}

/** The wx.requestPayment parameters {appId, timeStamp, nonceStr, package, signType, paySign}. */
function payOrder(orderNo) {
  return post('/orders/' + encodeURIComponent(orderNo) + '/pay', {channel: 'mini'})
}

/** One order; its `status` is set only by WeChat Pay's verified notification or a query. */
function getOrder(orderNo, opts) {
  return get('/orders/' + encodeURIComponent(orderNo), undefined, opts)
}

/** My orders, newest first. */
function myOrders() {
  return get('/orders')
}

module.exports = {createOrder, payOrder, getOrder, myOrders}
