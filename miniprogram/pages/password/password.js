// Change my password: the old one, a new one twice; the token is renewed and other sessions end.
const accountApi = require('../../api/account')
const request = require('../../utils/request')

Page({
  data: {errors: {}, formError: '', busy: false},

  async submit(event) {
    const value = event.detail.value || {}
    const errors = {}
    if (!value.old_password) errors.old_password = '请填写原密码'
    if (!value.password) errors.password = '请设置新密码'
    else if (value.password !== value.password2) errors.password2 = '两次输入的密码不一致'
    if (Object.keys(errors).length) {
      this.setData({errors, formError: '请完善标红的信息'})
      return
    }
    this.setData({busy: true, errors: {}, formError: ''})
    try {
      const result = await accountApi.changePassword(value.old_password, value.password)
      if (result && result.token) request.setToken(result.token)
      wx.showToast({title: '密码已修改', icon: 'success'})
      wx.navigateBack({delta: 1})
    } catch (error) {
      this.setData({errors: error.fields || {}, formError: error.message})
    } finally {
      this.setData({busy: false})
    }
  },
})
