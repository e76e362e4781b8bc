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

/** Send the registration SMS code to the mobile being registered → {resend_after}. */
function registerCode(mobile) {
  return post('/auth/register-code', {mobile})
}

/** The documents to accept (privacy notice, sensitive data) with their versions: [{key, title, version, url}]. */
function consents(opts) {
  return get('/consents', undefined, opts)
}

/** Send a password-reset SMS code to a registered mobile (the same answer for any number). */
function resetCode(mobile) {
  return post('/auth/reset-code', {mobile})
}

/** Set a new password with the SMS code; afterwards log in with the mobile and the new password. */
function resetPassword(mobile, code, password) {
  return post('/auth/reset-password', {mobile, code, password})
}

/** Change my password → {token}: the old token ends with every other session, this one is renewed. */
function changePassword(oldPassword, password) {
  return post('/me/password', {old_password: oldPassword, password})
}

/** First login of a bulk-registered account: send the SMS code to the mobile on the unit's list. */
function firstLoginCode(ticket) {
  return post('/auth/first-login/code', {ticket})
}

/** First login: the code, a new password (not the initial one) and the accepted consent versions. */
function firstLogin({ticket, code, password, consents}) {
  return post('/auth/first-login?token=1', {ticket, code, password, consents})
}

module.exports = {me, logout, contact, registerCode, consents, resetCode, resetPassword, changePassword,
  firstLoginCode, firstLogin}
