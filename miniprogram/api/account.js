// My account and the customer-service lines (/api/v1/me, /contact, /auth/logout).
const {get, post} = require('../utils/request')

/** My account, personal data masked. */
function me(opts) {
  return get('/me', undefined, opts)
}

/** End this token on the server. */
function logout() {
  return post('/auth/logout', {}, {silent: true})
}

/** Customer-service lines: {account_phone, tech_phone, hours}. */
function contact(opts) {
  return get('/contact', undefined, opts)
}

/** First login of a bulk-registered account: send the SMS code to the mobile on the unit's list. */
function firstLoginCode(ticket) {
  return post('/auth/first-login/code', {ticket})
}

/** First login: the code, a new password (not the initial one) and the accepted consent versions. */
function firstLogin({ticket, code, password, consents}) {
  return post('/auth/first-login?token=1', {ticket, code, password, consents})
}

module.exports = {me, logout, contact, firstLoginCode, firstLogin}
