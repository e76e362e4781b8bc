jest.mock('../../api/account')
jest.mock('../../utils/auth')
const accountApi = require('../../api/account')
const auth = require('../../utils/auth')
const {ApiError} = require('../../utils/request')
const {load, render, flush, text} = require('../helpers/page')

const login = load('pages', 'login')
const firstLogin = load('pages', 'first-login')
const consents = {privacy: '2026-11-01', sensitive_pi: '2026-11-01'}

beforeEach(() => {
  accountApi.contact.mockResolvedValue({account_phone: '1', tech_phone: '2', hours: 'h'})  // the contact block
})

test('the initial password leads from the bind form to the first login', async () => {
  auth.signIn.mockResolvedValue({bound: false})
  auth.bind.mockRejectedValueOnce(new ApiError('首次登录请验证手机号并设置新密码', {code: 'first_login_required',
    status: 403, data: {ticket: 'T1', mobile: '139****0021', consents}}))
  const page = render(login)
  await page.instance.onLoad({})
  page.instance.bind({detail: {value: {username: ' 500103196001010016 ', password: 'edu@010016'}}})
  await flush()
  const url = wx.navigateTo.mock.calls[wx.navigateTo.mock.calls.length - 1][0].url
  expect(url.startsWith('/pages/first-login/first-login?')).toBe(true)
  const query = Object.fromEntries(url.split('?')[1].split('&').map((p) => p.split('=')))
  expect(decodeURIComponent(query.ticket)).toBe('T1')
  expect(decodeURIComponent(query.username)).toBe('500103196001010016')
  expect(JSON.parse(decodeURIComponent(query.consents))).toEqual(consents)
  expect(text(page, '#form-error')).toBeNull()
})

test('code, new password and both consents; then bound with the new password', async () => {
  accountApi.firstLoginCode.mockResolvedValue({mobile: '139****0021', resend_after: 60})
  accountApi.firstLogin.mockResolvedValue({user: {name: '周敏'}, token: 't'})
  auth.bind.mockResolvedValue({bound: true})
  const page = render(firstLogin)
  page.instance.onLoad({ticket: 'T1', mobile: encodeURIComponent('139****0021'), username: '500103196001010016',
    consents: encodeURIComponent(JSON.stringify(consents))})
  await flush()
  expect(page.dom.textContent).toContain('139****0021')
  expect(page.dom.textContent).toContain('《敏感个人信息处理单独同意书》')
  await page.instance.sendCode()
  expect(accountApi.firstLoginCode).toHaveBeenCalledWith('T1')
  expect(text(page, '#send-code')).toBe('60 秒后可重新获取')
  page.instance.onUnload()

  await page.instance.submit({detail: {value: {code: '123456', password: 'Zhou2026x', password2: 'Zhou2026', consents: []}}})
  expect(text(page, '#error')).toBe('两次输入的密码不一致')
  expect(accountApi.firstLogin).not.toHaveBeenCalled()

  accountApi.firstLogin.mockRejectedValueOnce(new ApiError('请阅读并同意《敏感个人信息处理单独同意书》', {
    code: 'invalid_input', status: 422, data: {fields: {sensitive_pi: '请阅读并同意'}}}))
  await page.instance.submit({detail: {value: {code: '123456', password: 'Zhou2026x', password2: 'Zhou2026x',
    consents: ['privacy']}}})
  await flush()
  expect(accountApi.firstLogin).toHaveBeenLastCalledWith({ticket: 'T1', code: '123456', password: 'Zhou2026x',
    consents: {privacy: '2026-11-01'}})
  expect(text(page, '#error')).toBe('请阅读并同意《敏感个人信息处理单独同意书》')
  expect(auth.bind).not.toHaveBeenCalled()

  await page.instance.submit({detail: {value: {code: ' 123456 ', password: 'Zhou2026x', password2: 'Zhou2026x',
    consents: ['privacy', 'sensitive_pi']}}})
  await flush()
  expect(accountApi.firstLogin).toHaveBeenLastCalledWith({ticket: 'T1', code: '123456', password: 'Zhou2026x',
    consents})
  expect(auth.bind).toHaveBeenCalledWith('500103196001010016', 'Zhou2026x')
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({title: '密码已设置'}))
})
