jest.mock('../../utils/auth')
const auth = require('../../utils/auth')
const {ApiError} = require('../../utils/request')
const {load, render, flush, text} = require('../helpers/page')
const {envelope} = require('../helpers/wx')

const login = load('pages', 'login')
const register = load('pages', 'register')

function submit(page, selector, value) {
  page.instance[selector]({detail: {value}})
}

test('a bound WeChat user goes straight back to where they were sent from', async () => {
  auth.signIn.mockResolvedValue({bound: true, user: {name: '张三'}})
  const page = render(login)
  await page.instance.onLoad({redirect: encodeURIComponent('/pages/course/course?id=7')})
  expect(wx.reLaunch).toHaveBeenCalledWith({url: '/pages/course/course?id=7'})
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({title: '登录成功'}))
})

test('an unknown WeChat user links an existing account; a wrong password says so', async () => {
  auth.signIn.mockResolvedValue({bound: false})
  const page = render(login)
  await page.instance.onLoad({})
  expect(page.querySelector('#bind-form')).toBeTruthy()

  submit(page, 'bind', {username: '', password: ''})
  await flush()
  expect(text(page, '#form-error')).toBe('请输入账号和密码')

  auth.bind.mockRejectedValueOnce(new ApiError('用户名或密码错误，还可尝试 4 次', {code: 'bad_credentials',
    status: 401, data: {can_reset: true}}))
  submit(page, 'bind', {username: ' 13800000001 ', password: 'wrong'})
  await flush()
  expect(auth.bind).toHaveBeenLastCalledWith('13800000001', 'wrong')
  expect(text(page, '#form-error')).toBe('用户名或密码错误，还可尝试 4 次')
  expect(page.dom.textContent).toContain('忘记密码')

  auth.bind.mockResolvedValueOnce({bound: true})
  getCurrentPages.mockReturnValue([{route: 'pages/home/home'}, {route: 'pages/login/login'}])
  submit(page, 'bind', {username: '13800000001', password: 'Secret123'})
  await flush()
  expect(wx.navigateBack).toHaveBeenCalledWith({delta: 1})
})

test('WeChat unreachable: a message and a retry', async () => {
  auth.signIn.mockRejectedValueOnce(new ApiError('微信登录失败，请稍后重试', {code: 'wechat_error', status: 502}))
  const page = render(login)
  await page.instance.onLoad({})
  expect(text(page, '#error')).toBe('微信登录失败，请稍后重试')
  auth.signIn.mockResolvedValueOnce({bound: false})
  page.querySelector('#retry').dispatchEvent('tap')
  await flush()
  expect(page.querySelector('#bind-form')).toBeTruthy()
})

test('register: the form\'s own checks, the SMS code and both consents, then the backend\'s messages', async () => {
  wx.__route('GET', '/api/v1/consents', envelope([
    {key: 'privacy', title: '个人信息保护政策', version: '2026-11-01', url: 'https://x/legal/privacy'},
    {key: 'sensitive_pi', title: '敏感个人信息处理单独同意书', version: '2026-11-01', url: 'https://x/legal/sensitive_pi'}]))
  wx.__route('POST', '/api/v1/auth/register-code', envelope({resend_after: 60}))
  const page = render(register)
  await page.instance.onLoad({})
  await flush()
  expect(page.querySelectorAll('.consent').length).toBe(2)
  submit(page, 'submit', {name: '', id_number: '', mobile: '', sms_code: '', password: ''})
  await flush()
  expect(text(page, '#e-name')).toBe('请填写姓名')
  expect(text(page, '#e-sms_code')).toBe('请填写验证码')
  expect(text(page, '#e-confirm_true')).toContain('请确认所填信息真实有效')
  expect(text(page, '#e-consents')).toBe('请阅读并同意《个人信息保护政策》')
  expect(auth.register).not.toHaveBeenCalled()

  await page.instance.sendCode()
  expect(text(page, '#e-mobile')).toBe('请先填写 11 位手机号')
  page.instance.mobileInput({detail: {value: '13800000001'}})
  await page.instance.sendCode()
  await flush()
  expect(wx.request).toHaveBeenLastCalledWith(expect.objectContaining({
    url: expect.stringContaining('/api/v1/auth/register-code'), data: {mobile: '13800000001'}}))
  expect(text(page, '#send-code')).toBe('60 秒后重发')

  page.instance.idInput({detail: {value: '500103199003077657'}})
  await flush()
  expect(page.data.gender).toBe('M')
  page.instance.confirmChange({detail: {value: ['yes']}})
  page.instance.consentChange({detail: {value: ['privacy', 'sensitive_pi']}})
  auth.register.mockRejectedValueOnce(new ApiError('注册信息有误：手机号格式不正确', {code: 'invalid_input',
    status: 422, data: {fields: {mobile: '手机号格式不正确'}}}))
  const form = {name: '张三', id_number: '500103199003077657', mobile: '1380000', sms_code: '123456',
    password: 'Secret123'}
  submit(page, 'submit', form)
  await flush()
  expect(auth.register).toHaveBeenLastCalledWith(Object.assign({gender: 'M', confirm_true: true,
    consents: {privacy: '2026-11-01', sensitive_pi: '2026-11-01'}}, form))
  expect(text(page, '#e-mobile')).toBe('手机号格式不正确')

  auth.register.mockResolvedValueOnce({bound: true})
  getCurrentPages.mockReturnValue([{route: 'pages/course/course'}, {route: 'pages/login/login'},
    {route: 'pages/register/register'}])
  submit(page, 'submit', Object.assign({}, form, {mobile: '13800000001'}))
  await flush()
  expect(wx.navigateBack).toHaveBeenCalledWith({delta: 2}) // past login and register, to the course
  page.instance.onUnload()
})
