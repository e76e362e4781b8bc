// The three WeChat capabilities that need WeChat's servers: wx.login, wx.requestPayment and
// wx.requestSubscribeMessage, as Promises.
//
// In a development build with a sandbox configured (utils/env.js), the project's WeChat sandbox
// stands in for WeChat, the way it does for the backend: a local backend only knows the sandbox's
// login codes and prepay ids. Trial and release builds always use the real wx APIs.
const env = require('./env')

const SANDBOX_UID_KEY = 'ce.dev.sandboxUid'

function promisify(api, options) {
  return new Promise((resolve, reject) => {
    api(Object.assign({}, options, {success: resolve, fail: reject}))
  })
}

function sandboxCall(path, body) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: env.sandboxUrl() + '/_sandbox' + path,
      method: 'POST',
      data: body,
      header: {'Content-Type': 'application/json'},
      timeout: 10000,
      success: (res) => (res.statusCode < 400 ? resolve(res.data)
        : reject({errMsg: 'sandbox:fail ' + ((res.data && res.data.message) || res.statusCode)})),
      fail: reject,
    })
  })
}

/** A login code: wx.login, or a code the sandbox mints for "the WeChat user on this phone". */
async function login() {
  if (!env.sandboxUrl()) return (await promisify(wx.login, {timeout: 10000})).code
  const uid = wx.getStorageSync(SANDBOX_UID_KEY)
  const minted = await sandboxCall('/jscode', uid ? {uid} : {nickname: '小程序用户'})
  wx.setStorageSync(SANDBOX_UID_KEY, minted.uid)
  return minted.code
}

function confirmSandbox(title, content) {
  return promisify(wx.showModal, {title, content, confirmText: '确认'}).then((res) => res.confirm)
}

/**
 * Pay with the backend's parameters. Resolves when WeChat says the learner paid (the backend's order
 * is still the only truth); rejects with {errMsg} ("requestPayment:fail cancel" when cancelled).
 */
async function requestPayment(params) {
  if (!env.sandboxUrl()) {
    return promisify(wx.requestPayment, {timeStamp: params.timeStamp, nonceStr: params.nonceStr,
      package: params.package, signType: params.signType, paySign: params.paySign})
  }
  // As WeChat would: refuse a wrong signature before showing the payment sheet.
  const check = await sandboxCall('/pay/check-paysign', params)
  if (!check.valid || !check.order_found) throw {errMsg: 'requestPayment:fail ' + (check.message || '订单不存在')}
  if (!(await confirmSandbox('沙箱支付', '开发环境：由微信沙箱模拟支付，确认支付吗？'))) {
    throw {errMsg: 'requestPayment:fail cancel'}
  }
  await sandboxCall('/pay/pay', {prepay_id: params.package.replace(/^prepay_id=/, ''), notify: 'normal'})
  return {errMsg: 'requestPayment:ok'}
}

/** Ask for subscribe messages; resolves with the template ids the learner accepted (never rejects). */
async function requestSubscribeMessage(templateIds) {
  if (!templateIds.length) return []
  if (!env.sandboxUrl()) {
    try {
      const res = await promisify(wx.requestSubscribeMessage, {tmplIds: templateIds})
      return templateIds.filter((id) => res[id] === 'accept')
    } catch (e) {
      return [] // refused, turned off in settings, or not supported: learning goes on without messages
    }
  }
  try {
    if (!(await confirmSandbox('沙箱订阅消息', '开发环境：允许发送学习进度和证书通知吗？'))) return []
    const uid = wx.getStorageSync(SANDBOX_UID_KEY)
    for (const id of templateIds) await sandboxCall('/subscriptions', {uid, template_id: id})
    return templateIds
  } catch (e) {
    return []
  }
}

module.exports = {login, requestPayment, requestSubscribeMessage, SANDBOX_UID_KEY}
