// WeChat mini-program login, binding and subscribe messages (/api/v1/wechat/...).
const {post} = require('../utils/request')

/** wx.login code → {bound: true, token, user} or {bound: false, bind_ticket}. */
function miniLogin(code, opts) {
  return post('/wechat/mini/login', {code}, opts)
}

/** Link this WeChat user to an existing password account, once → {bound, token, user}. */
function miniBind({bindTicket, username, password}) {
  return post('/wechat/mini/bind', {bind_ticket: bindTicket, username, password})
}

/** Register a learner (the fields of /auth/register) and bind this WeChat user → {bound, token, user}. */
function miniRegister(fields, bindTicket) {
  return post('/wechat/mini/register', Object.assign({}, fields, {bind_ticket: bindTicket}))
}

/** Report the subscribe-message templates (names) the learner accepted → {remaining: {name: n}}. */
function reportSubscriptions(accepted, opts) {
  return post('/wechat/mini/subscriptions', {accepted}, opts)
}

module.exports = {miniLogin, miniBind, miniRegister, reportSubscriptions}
