const pay = require('../../utils/pay')
const env = require('../../utils/env')
const {envelope, fail} = require('../helpers/wx')

const PARAMS = {appId: 'wxmini', timeStamp: '1700000000', nonceStr: 'n', package: 'prepay_id=wx123',
  signType: 'RSA', paySign: 'sig'}
const ORDER = {order_no: 'CE20260101000000123456', status: 'pending', amount_fen: 6000, project: {id: 1}}

function backend() {
  wx.__route('POST', '/api/v1/orders', envelope(ORDER, {status: 201}))
  wx.__route('POST', '/api/v1/orders/' + ORDER.order_no + '/pay', (opts) => {
    expect(opts.data).toEqual({channel: 'mini'})
    return envelope(PARAMS)
  })
}

test('buy: order, then wx.requestPayment with exactly the backend\'s parameters', async () => {
  backend()
  const result = await pay.buy(1)
  expect(result).toEqual({order: ORDER, outcome: 'paid'})
  expect(wx.request.mock.calls[0][0].data).toEqual({project_id: 1, invoice: {choice: 'later'}})
  const sent = wx.requestPayment.mock.calls[0][0]
  expect(sent).toMatchObject({timeStamp: '1700000000', nonceStr: 'n', package: 'prepay_id=wx123', signType: 'RSA',
    paySign: 'sig'})
  expect(sent.appId).toBeUndefined()
})

test('a cancelled or failed payment is reported, not thrown', async () => {
  backend()
  wx.requestPayment.mockImplementation(fail('requestPayment:fail cancel'))
  expect((await pay.buy(1)).outcome).toBe('cancelled')
  wx.requestPayment.mockImplementation(fail('requestPayment:fail (detail message)'))
  expect((await pay.payExisting(ORDER.order_no)).outcome).toBe('failed')
})

test('waitForPaid believes only the backend\'s status, and gives up in time', async () => {
  const statuses = ['pending', 'pending', 'paid']
  wx.__route('GET', '/api/v1/orders/' + ORDER.order_no, () => envelope(Object.assign({}, ORDER,
    {status: statuses.shift() || 'paid'})))
  const sleep = jest.fn(() => Promise.resolve())
  const result = await pay.waitForPaid(ORDER.order_no, {intervalMs: 1, timeoutMs: 1000, sleep})
  expect(result.paid).toBe(true)
  expect(sleep).toHaveBeenCalledTimes(2)

  wx.__route('GET', '/api/v1/orders/' + ORDER.order_no, envelope(ORDER))
  const started = Date.now()
  const late = await pay.waitForPaid(ORDER.order_no, {intervalMs: 20, timeoutMs: 100})
  expect(late.paid).toBe(false)
  expect(late.order.status).toBe('pending')
  expect(Date.now() - started).toBeLessThan(1000)
})

test('waitForPaid rides out a network hiccup and stops when the page goes', async () => {
  let n = 0
  wx.__route('GET', '/api/v1/orders/' + ORDER.order_no, () => (n++ === 0 ? {networkError: 'timeout'}
    : envelope(Object.assign({}, ORDER, {status: 'closed'}))))
  const result = await pay.waitForPaid(ORDER.order_no, {intervalMs: 1, timeoutMs: 1000})
  expect(result).toMatchObject({paid: false, order: {status: 'closed'}})
  expect(wx.showToast).not.toHaveBeenCalled()

  wx.__route('GET', '/api/v1/orders/' + ORDER.order_no, envelope(ORDER))
  const gone = await pay.waitForPaid(ORDER.order_no, {intervalMs: 1, timeoutMs: 60000, cancelled: () => true})
  expect(gone.paid).toBe(false)
})

describe('in development with the sandbox', () => {
  beforeEach(() => {
    wx.__setEnv('develop')
    env.configure({sandboxUrl: 'http://sandbox.test'})
  })

  test('the sandbox checks paySign, then pays after the learner confirms', async () => {
    backend()
    const calls = []
    wx.__route('POST', '/_sandbox/pay/check-paysign', (opts) => {
      calls.push(['check', opts.data])
      return {statusCode: 200, data: {valid: true, order_found: true, message: '签名正确'}}
    })
    wx.__route('POST', '/_sandbox/pay/pay', (opts) => {
      calls.push(['pay', opts.data])
      return {statusCode: 200, data: {transaction: {}}}
    })
    expect((await pay.buy(1)).outcome).toBe('paid')
    expect(calls).toEqual([['check', PARAMS], ['pay', {prepay_id: 'wx123', notify: 'normal'}]])
    expect(wx.requestPayment).not.toHaveBeenCalled()
  })

  test('a wrong signature never reaches the payment sheet', async () => {
    backend()
    wx.__route('POST', '/_sandbox/pay/check-paysign', {statusCode: 200,
      data: {valid: false, order_found: true, message: '支付验证签名失败'}})
    const result = await pay.buy(1)
    expect(result.outcome).toBe('failed')
    expect(result.errMsg).toContain('支付验证签名失败')
    expect(wx.showModal).not.toHaveBeenCalled()
  })
})
