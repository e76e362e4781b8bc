// Forgot password (SMS reset) and change password, through the request layer with routed answers.
const request = require('../../utils/request')
const {load, render, flush, text} = require('../helpers/page')
const {envelope} = require('../helpers/wx')

const forgot = load('pages', 'forgot')
const password = load('pages', 'password')

function submit(page, value) {
  page.instance.submit({detail: {value}})
}

test('forgot password: a code to the mobile, then a new password', async () => {
  wx.__route('POST', '/api/v1/auth/reset-code', envelope({resend_after: 60}))
  wx.__route('POST', '/api/v1/auth/reset-password', envelope(null))
  const page = render(forgot)
  page.instance.onLoad()
  await page.instance.sendCode()
  expect(text(page, '#e-mobile')).toBe('请填写注册时的 11 位手机号')
  page.instance.mobileInput({detail: {value: '13800000001'}})
  await page.instance.sendCode()
  await flush()
  expect(wx.request).toHaveBeenLastCalledWith(expect.objectContaining({
    url: expect.stringContaining('/api/v1/auth/reset-code'), data: {mobile: '13800000001'}}))
  expect(text(page, '#send-code')).toBe('60 秒后重发')
  submit(page, {mobile: '13800000001', code: '123456', password: 'NewSecret456', password2: 'NewSecret45'})
  await flush()
  expect(text(page, '#e-password2')).toBe('两次输入的密码不一致')
  submit(page, {mobile: '13800000001', code: '123456', password: 'NewSecret456', password2: 'NewSecret456'})
  await flush()
  expect(wx.request).toHaveBeenLastCalledWith(expect.objectContaining({
    url: expect.stringContaining('/api/v1/auth/reset-password'),
    data: {mobile: '13800000001', code: '123456', password: 'NewSecret456'}}))
  expect(page.querySelector('#done')).toBeTruthy()
  page.instance.onUnload()
})

test('forgot password: the backend\'s message for a wrong code is shown', async () => {
  wx.__route('POST', '/api/v1/auth/reset-password', envelope({fields: {code: '验证码不正确'}},
    {status: 422, code: 'invalid_input', message: '验证码不正确'}))
  const page = render(forgot)
  page.instance.onLoad()
  submit(page, {mobile: '13800000001', code: '000000', password: 'NewSecret456', password2: 'NewSecret456'})
  await flush()
  expect(text(page, '#form-error')).toBe('验证码不正确')
  expect(page.querySelector('#done')).toBeFalsy()
})

test('change password: the renewed token is kept', async () => {
  request.setToken('old-token')
  wx.__route('POST', '/api/v1/me/password', envelope({token: 'new-token'}))
  const page = render(password)
  submit(page, {old_password: '', password: 'x', password2: 'x'})
  await flush()
  expect(text(page, '#e-old_password')).toBe('请填写原密码')
  submit(page, {old_password: 'Secret123', password: 'NewSecret456', password2: 'NewSecret456'})
  await flush()
  expect(request.getToken()).toBe('new-token')
  expect(wx.navigateBack).toHaveBeenCalledWith({delta: 1})
})
