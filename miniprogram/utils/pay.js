// Buying a plan: the order, then wx.requestPayment with the backend's parameters. Whether it is paid
// is decided by the backend alone (WeChat Pay's verified notification): see waitForPaid.
const ordersApi = require('../api/orders')
const wechat = require('./wechat')

/**
 * Order and pay a plan. Resolves {order, outcome}: outcome 'paid' (WeChat says so: still to be
 * confirmed by the backend), 'cancelled' or 'failed' (with errMsg).
 */
async function buy(projectId, invoice) {
  const order = await ordersApi.createOrder(projectId, invoice)
  return Object.assign({order}, await payExisting(order.order_no))
}

/** Pay an existing pending order (the same order number every time). */
async function payExisting(orderNo) {
  const params = await ordersApi.payOrder(orderNo)
  try {
    await wechat.requestPayment(params)
    return {outcome: 'paid'}
  } catch (err) {
    const errMsg = (err && err.errMsg) || String(err)
    return {outcome: /cancel/.test(errMsg) ? 'cancelled' : 'failed', errMsg}
  }
}

/**
 * Poll the order until the backend says it is no longer pending (paid, closed...), at most
 * `timeoutMs`, or until `cancelled()` (the page went away). Resolves {order, paid}: `paid` is true
 * only when the backend's order.status is "paid".
 */
async function waitForPaid(orderNo, {intervalMs = 2000, timeoutMs = 60000, onPoll, cancelled, sleep} = {}) {
  const wait = sleep || ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  const deadline = Date.now() + timeoutMs
  let order = null
  for (;;) {
    try {
      order = await ordersApi.getOrder(orderNo, {silent: true})
    } catch (error) {
      if (error.code !== 'network_error' && !(error.status >= 500)) throw error
    }
    if (onPoll) onPoll(order)
    if ((order && order.status !== 'pending') || Date.now() + intervalMs > deadline) break
    await wait(intervalMs)
    if (cancelled && cancelled()) break
  }
  return {order, paid: Boolean(order && order.status === 'paid')}
}

module.exports = {buy, payExisting, waitForPaid}
