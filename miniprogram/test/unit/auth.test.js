const auth = require('../../utils/auth')
const request = require('../../utils/request')
const env = require('../../utils/env')
const {envelope, fail} = require('../helpers/wx')

const USER = {id: 1, name: '张三'}

function loginAnswers(...answers) {
  wx.__route('POST', '/api/v1/wechat/mini/login', () => envelope(answers.length > 1 ? answers.shift() : answers[0]))
}

test('a bound WeChat user is logged in with wx.login alone', async () => {
  loginAnswers({bound: true, token: 'tok-a', user: USER})
  const result = await auth.signIn()
  expect(result.bound).toBe(true)
  expect(request.getToken()).toBe('tok-a')
  expect(JSON.parse(JSON.stringify(wx.request.mock.calls[0][0].data))).toEqual({code: 'wx-code-1'})
})

test('an unknown WeChat user binds an existing account with the ticket, once', async () => {
  loginAnswers({bound: false, bind_ticket: 'ticket-1'})
  wx.__route('POST', '/api/v1/wechat/mini/bind', (opts) => envelope({bound: true, token: 'tok-b', user: USER,
    echo: opts.data}))
  expect((await auth.signIn()).bound).toBe(false)
  expect(request.getToken()).toBe('')
  const result = await auth.bind('13800000001', 'Secret123')
  expect(result.echo).toEqual({bind_ticket: 'ticket-1', username: '13800000001', password: 'Secret123'})
  expect(request.getToken()).toBe('tok-b')
  expect(wx.login).toHaveBeenCalledTimes(1)
})

test('an expired ticket is replaced by a new wx.login on the next try', async () => {
  loginAnswers({bound: false, bind_ticket: 'old'}, {bound: false, bind_ticket: 'new'})
  const tickets = []
  wx.__route('POST', '/api/v1/wechat/mini/register', (opts) => {
    tickets.push(opts.data.bind_ticket)
    return tickets.length === 1
      ? envelope(null, {status: 422, code: 'bind_expired', message: '绑定已过期，请重新登录'})
      : envelope({bound: true, token: 'tok-r', user: USER})
  })
  await auth.signIn()
  const error = await auth.register({name: '张三'}).catch((e) => e)
  expect(error.code).toBe('bind_expired')
  await auth.register({name: '张三'})
  expect(tickets).toEqual(['old', 'new'])
  expect(request.getToken()).toBe('tok-r')
})

test('silent sign-in at launch: one wx.login however many pages ask; false when it fails', async () => {
  loginAnswers({bound: true, token: 'tok-s', user: USER})
  const results = await Promise.all([auth.ensureSignedIn(), auth.ensureSignedIn(), auth.ensureSignedIn()])
  expect(results).toEqual([true, true, true])
  expect(wx.login).toHaveBeenCalledTimes(1)
  expect(await auth.ensureSignedIn()).toBe(true)
  expect(wx.login).toHaveBeenCalledTimes(1)

  request.clearToken()
  wx.login.mockImplementation(fail('login:fail'))
  expect(await auth.ensureSignedIn()).toBe(false)
  expect(wx.showToast).not.toHaveBeenCalled()
})

test('logout ends the token on the server and here', async () => {
  request.setToken('tok')
  wx.__route('POST', '/api/v1/auth/logout', envelope(null))
  await auth.logout()
  expect(wx.request.mock.calls[0][0].header.Authorization).toBe('Bearer tok')
  expect(request.getToken()).toBe('')
})

test('in development with the sandbox, the sandbox mints the code for the same WeChat user', async () => {
  wx.__setEnv('develop')
  env.configure({sandboxUrl: 'http://127.0.0.1:5001', baseUrl: 'http://127.0.0.1:5000'})
  const bodies = []
  wx.__route('POST', '/_sandbox/jscode', (opts) => {
    bodies.push(opts.data)
    return {statusCode: 201, data: {code: 'sb-code', uid: 'u42', openid: 'o42'}}
  })
  loginAnswers({bound: false, bind_ticket: 't'})
  await auth.signIn()
  await auth.signIn()
  expect(bodies).toEqual([{nickname: '小程序用户'}, {uid: 'u42'}])
  expect(wx.login).not.toHaveBeenCalled()
  expect(wx.request.mock.calls[0][0].url).toBe('http://127.0.0.1:5001/_sandbox/jscode')
})
