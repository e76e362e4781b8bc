const subscribe = require('../../utils/subscribe')
const env = require('../../utils/env')
const {envelope, fail, succeed} = require('../helpers/wx')

const TEMPLATES = {purchase_paid: 'T-paid', course_completed: 'T-course', plan_completed: 'T-plan',
  certificate_ready: 'T-cert', seat_granted: 'T-seat'}

beforeEach(() => {
  wx.__setEnv('develop')
  env.configure({templates: TEMPLATES, sandboxUrl: ''})
})

test('asks for the moment\'s templates and reports only the accepted names', async () => {
  const reported = []
  wx.__route('POST', '/api/v1/wechat/mini/subscriptions', (opts) => {
    reported.push(opts.data)
    return envelope({remaining: {}})
  })
  wx.requestSubscribeMessage.mockImplementation(succeed({'T-course': 'accept', 'T-plan': 'reject',
    'T-cert': 'ban'}))
  expect(await subscribe.askFor('courseStart')).toEqual(['course_completed'])
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['T-course', 'T-plan', 'T-cert'])
  expect(reported).toEqual([{accepted: ['course_completed']}])

  wx.requestSubscribeMessage.mockImplementation(succeed({'T-paid': 'accept', 'T-course': 'accept',
    'T-cert': 'accept'}))
  expect(await subscribe.askFor('paid')).toEqual(['purchase_paid', 'course_completed', 'certificate_ready'])
  expect(wx.requestSubscribeMessage.mock.calls[1][0].tmplIds.length).toBeLessThanOrEqual(3)
})

test('a refusal or a switched-off setting never stops learning, nor reports anything', async () => {
  wx.requestSubscribeMessage.mockImplementation(fail('requestSubscribeMessage:fail 20004'))
  expect(await subscribe.askFor('paid')).toEqual([])
  wx.requestSubscribeMessage.mockImplementation(succeed({'T-paid': 'reject'}))
  expect(await subscribe.askFor('paid')).toEqual([])
  expect(wx.request).not.toHaveBeenCalled()
})

test('templates not configured for this environment are not asked for', async () => {
  env.configure({templates: {}})
  expect(await subscribe.askFor('paid')).toEqual([])
  expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
})
