// First login of an account a unit registered in bulk: the initial password (edu@ + last six of the ID
// number) only leads here. An SMS code to the mobile on the unit's list, a new password and the privacy
// consents; then the account is bound to this WeChat user with the new password, as a normal login.
const accountApi = require('../../api/account')
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')

const DOCUMENTS = {privacy: '个人信息保护政策', sensitive_pi: '敏感个人信息处理单独同意书'}

Page({
  data: {mobile: '', documents: [], error: '', fields: {}, busy: false, sent: false, wait: 0},

  onLoad(query) {
    this.ticket = decodeURIComponent(query.ticket || '')
    this.username = decodeURIComponent(query.username || '')
    this.redirect = query.redirect ? decodeURIComponent(query.redirect) : ''
    let versions = {}
    try {
      versions = JSON.parse(decodeURIComponent(query.consents || '{}'))
    } catch (error) {
      versions = {}
    }
    this.versions = versions
    this.setData({mobile: decodeURIComponent(query.mobile || ''), documents: Object.keys(versions).map((key) => ({
      key, title: DOCUMENTS[key] || key, version: versions[key]}))})
  },

  onUnload() {
    clearTimeout(this.timer)
  },

  async sendCode() {
    if (this.data.wait) return
    try {
      const answer = await accountApi.firstLoginCode(this.ticket)
      this.setData({sent: true, error: ''})
      this.countdown(answer.resend_after || 60)
    } catch (error) {
      this.setData({error: error.message})
    }
  },

  countdown(seconds) {
    this.setData({wait: seconds})
    if (seconds > 0) this.timer = setTimeout(() => this.countdown(seconds - 1), 1000)
  },

  async submit(event) {
    const {code = '', password = '', password2 = '', consents = []} = event.detail.value || {}
    if (password !== password2) {
      this.setData({error: '两次输入的密码不一致', fields: {password2: '两次输入的密码不一致'}})
      return
    }
    const accepted = {}
    for (const key of consents) accepted[key] = this.versions[key]
    this.setData({busy: true, error: '', fields: {}})
    try {
      await accountApi.firstLogin({ticket: this.ticket, code: code.trim(), password, consents: accepted})
      await auth.bind(this.username, password)
      wx.showToast({title: '密码已设置', icon: 'success'})
      nav.afterLogin(this.redirect)
    } catch (error) {
      this.setData({error: error.message, fields: (error.data && error.data.fields) || {}})
    } finally {
      this.setData({busy: false})
    }
  },
})
