// Register with real-name data (printed on the certificate) and link this WeChat user to it.
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')

const REQUIRED = {name: '请填写姓名', id_number: '请填写身份证号', mobile: '请填写手机号', password: '请设置密码'}

/** The gender an ID number says (its 17th character: odd for men). */
function genderOf(idNumber) {
  const digit = String(idNumber || '').trim().charAt(16)
  return /\d/.test(digit) ? (Number(digit) % 2 ? 'M' : 'F') : ''
}

Page({
  data: {gender: '', confirmed: false, errors: {}, formError: '', busy: false},

  onLoad(query) {
    this.redirect = query && query.redirect ? decodeURIComponent(query.redirect) : ''
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
      confirm_true: true}
    const errors = {}
    Object.keys(REQUIRED).forEach((k) => { if (!fields[k]) errors[k] = REQUIRED[k] })
    if (!fields.gender) errors.gender = '请选择性别'
    if (!this.data.confirmed) errors.confirm_true = '请确认所填信息真实有效，它将打印在学时证书上'
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
