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

module.exports = {me, logout, contact}
