const env = require('../../utils/env')
const request = require('../../utils/request')
const {envelope} = require('../helpers/wx')
const config = require('../../config')

test('the base URL follows the environment; a sandbox only in development', () => {
  wx.__setEnv('develop')
  expect(env.baseUrl()).toBe('http://127.0.0.1:5000')
  expect(env.sandboxUrl()).toBe('http://127.0.0.1:5001')
  wx.setStorageSync('ce.dev.baseUrl', 'http://192.168.1.20:5000/')
  expect(env.baseUrl()).toBe('http://192.168.1.20:5000')
  expect(request.absoluteUrl('/static/demo/a.mp4')).toBe('http://192.168.1.20:5000/static/demo/a.mp4')

  for (const version of ['trial', 'release']) {
    wx.__setEnv(version)
    env.configure({sandboxUrl: 'http://127.0.0.1:5001', baseUrl: 'http://127.0.0.1:9'})
    expect(env.baseUrl()).toBe(config.release.baseUrl)
    expect(env.baseUrl()).toMatch(/^https:\/\//)
    expect(env.sandboxUrl()).toBe('')
  }
})

test('resolves with the envelope\'s data and sends the token', async () => {
  wx.__route('GET', '/api/v1/me/plans', (opts, url) => envelope({page: url.searchParams.get('x'), opts}))
  request.setToken('tok-1')
  const data = await request.get('/me/plans')
  const sent = wx.request.mock.calls[0][0]
  expect(sent.url).toBe(config.release.baseUrl + '/api/v1/me/plans')
  expect(sent.header.Authorization).toBe('Bearer tok-1')
  expect(sent.header['Content-Type']).toBe('application/json')
  expect(data.opts.method).toBe('GET')
  request.clearToken()
  await request.post('/orders', {project_id: 1}).catch(() => null)
  expect(wx.request.mock.calls[1][0].header.Authorization).toBeUndefined()
})

test('an error is an ApiError with the backend\'s Chinese message, shown as a toast', async () => {
  wx.__route('POST', '/api/v1/wechat/mini/register', envelope({fields: {mobile: '手机号格式不正确'}},
    {status: 422, code: 'invalid_input', message: '注册信息有误：手机号 手机号格式不正确'}))
  const error = await request.post('/wechat/mini/register', {}).catch((e) => e)
  expect(error).toBeInstanceOf(request.ApiError)
  expect(error.status).toBe(422)
  expect(error.code).toBe('invalid_input')
  expect(error.fields).toEqual({mobile: '手机号格式不正确'})
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({title: '注册信息有误：手机号 手机号格式不正确',
    icon: 'none'}))

  wx.showToast.mockClear()
  await request.post('/wechat/mini/register', {}, {silent: true}).catch((e) => e)
  expect(wx.showToast).not.toHaveBeenCalled()
})

test('an answer without an envelope still gives a Chinese message', async () => {
  wx.__route('GET', '/api/v1/projects', {statusCode: 502, data: '<html>Bad Gateway</html>'})
  const error = await request.get('/projects').catch((e) => e)
  expect(error.message).toBe('服务暂时不可用，请稍后重试')
  expect(error.code).toBe('http_502')
})

test('no network: a toast in Chinese', async () => {
  wx.__route('GET', '/api/v1/projects', {networkError: 'timeout'})
  const error = await request.get('/projects').catch((e) => e)
  expect(error.code).toBe('network_error')
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({title: '网络异常，请检查网络后重试'}))
})

test('login expired: the token goes, the login page opens once, then comes back here', async () => {
  request.setToken('old')
  getCurrentPages.mockReturnValue([{route: 'pages/course/course', options: {id: '7'}}])
  wx.__route('GET', '/api/v1/me', envelope(null, {status: 401, code: 'unauthorized', message: '请先登录'}))
  wx.navigateTo.mockImplementation(() => {}) // still navigating while the second request fails
  const errors = await Promise.all([request.get('/me').catch((e) => e), request.get('/me').catch((e) => e)])
  expect(errors.map((e) => e.code)).toEqual(['unauthorized', 'unauthorized'])
  expect(errors[0].message).toBe('登录已过期，请重新登录')
  expect(request.getToken()).toBe('')
  expect(wx.navigateTo).toHaveBeenCalledTimes(1)
  expect(wx.navigateTo.mock.calls[0][0].url).toBe('/pages/login/login?redirect=' +
    encodeURIComponent('/pages/course/course?id=7'))
})

test('a wrong password is not an expired login', async () => {
  request.setToken('still-good')
  wx.__route('POST', '/api/v1/wechat/mini/bind', envelope({can_reset: true, attempts_left: 4},
    {status: 401, code: 'bad_credentials', message: '用户名或密码错误'}))
  const error = await request.post('/wechat/mini/bind', {}).catch((e) => e)
  expect(error.message).toBe('用户名或密码错误')
  expect(request.getToken()).toBe('still-good')
  expect(wx.navigateTo).not.toHaveBeenCalled()
})

test('download sends the token and reads an error envelope from the file', async () => {
  request.setToken('tok')
  const path = await request.download('/api/v1/certificates/X/pdf')
  expect(path).toBe('wxfile://tmp/certificate.pdf')
  expect(wx.downloadFile.mock.calls[0][0].header.Authorization).toBe('Bearer tok')
  expect(wx.downloadFile.mock.calls[0][0].url).toBe(config.release.baseUrl + '/api/v1/certificates/X/pdf')

  wx.downloadFile.mockImplementation((opts) => opts.success({statusCode: 409, tempFilePath: 'wxfile://e'}))
  wx.getFileSystemManager.mockReturnValue({readFileSync: () => JSON.stringify(
    {code: 'not_complete', message: '尚未完成该培训项目的学时要求', data: null})})
  const error = await request.download('/api/v1/certificates/X/pdf').catch((e) => e)
  expect(error.code).toBe('not_complete')
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({title: '尚未完成该培训项目的学时要求'}))
})
