// Login: wx.login → the backend. A WeChat user seen for the first time links an existing password
// account once (or registers); from then on the same WeChat user is logged in straight away.
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')

Page({
  data: {mode: 'checking', error: '', formError: '', canReset: false, busy: false},

  onLoad(query) {
    this.redirect = query && query.redirect ? decodeURIComponent(query.redirect) : ''
    return this.check()
  },

  /** Ask WeChat who this is; a bound user is done, an unknown one sees the bind form. */
  async check() {
    this.setData({mode: 'checking', error: ''})
    try {
      const result = await auth.signIn()
      if (result.bound) return this.done()
      this.setData({mode: 'bind'})
    } catch (error) {
      this.setData({mode: 'error', error: error.message || '微信登录失败，请稍后重试'})
    }
    return null
  },

  async bind(event) {
    const {username = '', password = ''} = event.detail.value || {}
    if (!username.trim() || !password) {
      this.setData({formError: '请输入账号和密码'})
      return
    }
    this.setData({busy: true, formError: '', canReset: false})
    try {
      const result = await auth.bind(username.trim(), password)
      if (result.bound) this.done('绑定成功')
    } catch (error) {
      if (error.code === 'first_login_required') this.firstLogin(username.trim(), error.data)
      else this.setData({formError: error.message, canReset: Boolean(error.data && error.data.can_reset)})
    } finally {
      this.setData({busy: false})
    }
  },

  /** A unit registered this account: its initial password leads to the first login (code, password, consents). */
  firstLogin(username, data) {
    const query = {ticket: data.ticket, mobile: data.mobile, username, consents: JSON.stringify(data.consents || {})}
    if (this.redirect) query.redirect = this.redirect
    wx.navigateTo({url: '/pages/first-login/first-login?' + Object.keys(query).map((k) => k + '=' +
      encodeURIComponent(query[k])).join('&')})
  },

  done(message) {
    this.setData({mode: 'done'})
    wx.showToast({title: message || '登录成功', icon: 'success'})
    nav.afterLogin(this.redirect)
  },

  register() {
    wx.navigateTo({url: '/pages/register/register' +
      (this.redirect ? '?redirect=' + encodeURIComponent(this.redirect) : '')})
  },

  retry() {
    return this.check()
  },

  forgot() {
    wx.navigateTo({url: '/pages/forgot/forgot'})
  },
})
