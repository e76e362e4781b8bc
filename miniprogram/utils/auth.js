// Logging in: wx.login → the backend's mini-program login; an unknown WeChat user links an existing
// password account once (bind) or registers. The token is kept by utils/request.js.
const wechatApi = require('../api/wechat')
const accountApi = require('../api/account')
const request = require('./request')
const wechat = require('./wechat')

const TICKET_LIFETIME_MS = 9 * 60 * 1000 // the backend keeps a bind ticket 10 minutes
let ticket = null // {value, at}
let signing = null // a silent login under way

function remember(result) {
  if (result.bound) {
    request.setToken(result.token)
    ticket = null
  } else {
    ticket = {value: result.bind_ticket, at: Date.now()}
  }
  return result
}

/** Log in with WeChat: {bound: true, user} (token stored) or {bound: false} (bind or register next). */
async function signIn(opts) {
  const code = await wechat.login()
  return remember(await wechatApi.miniLogin(code, opts))
}

/** A bind ticket young enough to use, asking WeChat again when needed (null if now logged in). */
async function freshTicket() {
  if (ticket && Date.now() - ticket.at < TICKET_LIFETIME_MS) return ticket.value
  const result = await signIn()
  return result.bound ? null : ticket.value
}

async function withTicket(call) {
  const value = await freshTicket()
  if (value === null) return {bound: true}
  try {
    return remember(await call(value))
  } catch (error) {
    if (error.code === 'bind_expired') ticket = null // the next try asks WeChat for a new one
    throw error
  }
}

/** Link this WeChat user to an existing account (username, ID number or mobile + password). */
function bind(username, password) {
  return withTicket((bindTicket) => wechatApi.miniBind({bindTicket, username, password}))
}

/** Register with real-name data and link this WeChat user to the new account. */
function register(fields) {
  return withTicket((bindTicket) => wechatApi.miniRegister(fields, bindTicket))
}

/** Log in silently when this WeChat user is already bound; resolves true when logged in. */
function ensureSignedIn() {
  if (request.isLoggedIn()) return Promise.resolve(true)
  if (!signing) {
    // One wx.login at a time, however many pages ask at launch.
    signing = signIn({silent: true}).then((result) => result.bound, () => false)
      .then((bound) => { signing = null; return bound })
  }
  return signing
}

async function logout() {
  try {
    await accountApi.logout()
  } finally {
    request.clearToken()
  }
}

module.exports = {signIn, bind, register, ensureSignedIn, logout, hasTicket: () => Boolean(ticket)}
