// Register with real-name data (printed on the certificate) and link this WeChat user to it.
const accountApi = require('../../api/account')
const countdown = require('../../utils/countdown')
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')

const REQUIRED = {name: '请填写姓名', id_number: '请填写身份证号', mobile: '请填写手机号', sms_code: '请填写验证码',
  password: '请设置密码'}

/** The gender an ID number says (its 17th character: odd for men). */
function genderOf(idNumber) {
  const digit = String(idNumber || '').trim().charAt(16)
  return /\d/.test(digit) ? (Number(digit) % 2 ? 'M' : 'F') : ''
}

Page({
  data: {gender: '', confirmed: false, errors: {}, formError: '', busy: false, documents: [], accepted: [],
    codeWait: 0},

  onLoad(query) {
    this.redirect = query && query.redirect ? decodeURIComponent(query.redirect) : ''
    this.mobile = ''
    return accountApi.consents({silent: true}).then((documents) => this.setData({documents}), () => {})
  },

  onUnload() {
    countdown.stop(this)
  },

  mobileInput(event) {
    this.mobile = String(event.detail.value || '').trim()
  },

  /** Ask for the SMS code that proves the mobile; the button counts down before it can ask again. */
  async sendCode() {
    if (this.data.codeWait > 0) return
    if (!/^1\d{10}$/.test(this.mobile)) {
      this.setData({errors: Object.assign({}, this.data.errors, {mobile: '请先填写 11 位手机号'})})
      return
    }
    try {
      const result = await accountApi.registerCode(this.mobile)
      wx.showToast({title: '验证码已发送', icon: 'none'})
      countdown.start(this, (result && result.resend_after) || 60)
    } catch (error) {
      this.setData({formError: error.message})
    }
  },


  consentChange(event) {
    this.setData({accepted: event.detail.value || []})
  },

  openDocument(event) {
    wx.setClipboardData({data: event.currentTarget.dataset.url})
  },

  idInput(event) {
    const gender = genderOf(event.detail.value)
    if (gender && !this.data.gender) this.setData({gender})
  },

  genderChange(event) {
    this.setData({gender: event.detail.value})
  },

  confirmChange(event) {
    this.setData({confirmed: (event.detail.value || []).length > 0})
  },

  async submit(event) {
    const value = event.detail.value || {}
    const fields = {name: (value.name || '').trim(), id_number: (value.id_number || '').trim().toUpperCase(),
      mobile: (value.mobile || '').trim(), gender: this.data.gender, password: value.password || '',
      sms_code: (value.sms_code || '').trim(), confirm_true: true, consents: {}}
    this.data.documents.forEach((d) => {
      if (this.data.accepted.indexOf(d.key) >= 0) fields.consents[d.key] = d.version
    })
    const errors = {}
    Object.keys(REQUIRED).forEach((k) => { if (!fields[k]) errors[k] = REQUIRED[k] })
    if (!fields.gender) errors.gender = '请选择性别'
    if (!this.data.confirmed) errors.confirm_true = '请确认所填信息真实有效，它将打印在学时证书上'
    const unread = this.data.documents.find((d) => !fields.consents[d.key])
    if (unread) errors.consents = `请阅读并同意《${unread.title}》`
    if (Object.keys(errors).length) {
      this.setData({errors, formError: '请完善标红的信息'})
      return
    }
    this.setData({busy: true, errors: {}, formError: ''})
    try {
      const result = await auth.register(fields)
      if (result.bound) {
        wx.showToast({title: '注册成功', icon: 'success'})
        nav.afterLogin(this.redirect)
      }
    } catch (error) {
      this.setData({errors: error.fields, formError: error.message})
    } finally {
      this.setData({busy: false})
    }
  },
})
