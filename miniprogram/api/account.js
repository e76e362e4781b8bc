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

module.exports = {me, logout, contact, registerCode, consents}
