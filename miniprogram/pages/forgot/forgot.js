// Forgot password: an SMS code to the registered mobile, then a new password; log in with the mobile.
const accountApi = require('../../api/account')
const countdown = require('../../utils/countdown')

Page({
  data: {errors: {}, formError: '', codeWait: 0, busy: false, done: false},

  onLoad() {
    this.mobile = ''
  },

  onUnload() {
    countdown.stop(this)
  },

  mobileInput(event) {
    this.mobile = String(event.detail.value || '').trim()
  },

  async sendCode() {
    if (this.data.codeWait > 0) return
    if (!/^1\d{10}$/.test(this.mobile)) {
      this.setData({errors: {mobile: '请填写注册时的 11 位手机号'}})
      return
    }
    try {
      const result = await accountApi.resetCode(this.mobile)
      this.setData({errors: {}, formError: ''})
      wx.showToast({title: '如该手机号已注册，验证码已发送', icon: 'none'})
      countdown.start(this, (result && result.resend_after) || 60)
    } catch (error) {
      this.setData({errors: error.fields || {}, formError: error.message})
    }
  },


  async submit(event) {
    const value = event.detail.value || {}
    const mobile = String(value.mobile || '').trim()
    const code = String(value.code || '').trim()
    const errors = {}
    if (!mobile) errors.mobile = '请填写手机号'
    if (!code) errors.code = '请填写验证码'
    if (!value.password) errors.password = '请设置新密码'
    else if (value.password !== value.password2) errors.password2 = '两次输入的密码不一致'
    if (Object.keys(errors).length) {
      this.setData({errors, formError: '请完善标红的信息'})
      return
    }
    this.setData({busy: true, errors: {}, formError: ''})
    try {
      await accountApi.resetPassword(mobile, code, value.password)
      this.setData({done: true})
      wx.showToast({title: '密码已重置', icon: 'success'})
    } catch (error) {
      this.setData({errors: error.fields || {}, formError: error.message})
    } finally {
      this.setData({busy: false})
    }
  },

  backToLogin() {
    wx.navigateBack({delta: 1})
  },
})
