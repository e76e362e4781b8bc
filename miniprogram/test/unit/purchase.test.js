jest.mock('../../api/catalog')
jest.mock('../../api/orders')
jest.mock('../../utils/subscribe')
const catalogApi = require('../../api/catalog')
const ordersApi = require('../../api/orders')
const subscribe = require('../../utils/subscribe')
const request = require('../../utils/request')
const {fail} = require('../helpers/wx')
const {load, render, flush, text} = require('../helpers/page')

const projectPage = load('pages', 'project')
const resultPage = load('pages', 'pay-result')
const ordersPage = load('pages', 'orders')

const PROJECT = {id: 1, year: 2026, name: '2026年公需科目', description: '须完成 30 学时。', credit_hours: 30,
  price_fen: 6000, price_yuan: '60.00', on_sale: true, owned: false, course_hours: 30,
  courses: [{id: 11, title: '数字经济与创新驱动发展', lecturer: '陈明', credit_hours: 8}]}
const ORDER = {order_no: 'CE20260301100000123456', status: 'pending', status_text: '待支付', amount_fen: 6000,
  amount_yuan: '60.00', project: {id: 1, name: '2026年公需科目', year: 2026}, payable: true, kind: 'individual',
  seat_count: 1, created_at: '2026-03-01T02:00:00Z', paid_at: null}
const PAY = {appId: 'wxmini', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=p1', signType: 'RSA', paySign: 's'}

beforeEach(() => {
  catalogApi.project.mockResolvedValue(PROJECT)
  ordersApi.createOrder.mockResolvedValue(ORDER)
  ordersApi.payOrder.mockResolvedValue(PAY)
  subscribe.askFor.mockResolvedValue([])
})

async function openProject() {
  const page = render(projectPage)
  page.instance.onLoad({id: '1'})
  await page.instance.onShow()
  return page
}

test('project: courses and price; buying pays with the backend\'s parameters, asks for messages, then the result page', async () => {
  request.setToken('t')
  const page = await openProject()
  expect(text(page, '#project-name')).toBe('2026年公需科目')
  expect(text(page, '#price')).toBe('¥60.00')
  expect(page.querySelector('#courses').dom.textContent).toContain('数字经济与创新驱动发展')
  page.querySelector('#buy').dispatchEvent('tap')
  await flush()
  expect(ordersApi.createOrder).toHaveBeenCalledWith(1, {choice: 'later'})
  expect(ordersApi.payOrder).toHaveBeenCalledWith(ORDER.order_no)
  expect(wx.requestPayment).toHaveBeenCalledWith(expect.objectContaining({package: 'prepay_id=p1', paySign: 's'}))
  expect(subscribe.askFor).toHaveBeenCalledWith('paid')
  expect(wx.redirectTo).toHaveBeenCalledWith({url: '/pages/pay-result/pay-result?order_no=' + ORDER.order_no +
    '&expect=paid'})
})

test('project: a cancelled payment keeps the order and says where to pay it', async () => {
  request.setToken('t')
  wx.requestPayment.mockImplementation(fail('requestPayment:fail cancel'))
  const page = await openProject()
  page.querySelector('#buy').dispatchEvent('tap')
  await flush()
  expect(text(page, '#notice')).toContain('我的订单')
  expect(wx.redirectTo).not.toHaveBeenCalled()
  expect(subscribe.askFor).not.toHaveBeenCalled()
})

test('project: a visitor logs in first; an owned plan offers learning', async () => {
  const page = await openProject()
  page.querySelector('#buy').dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({url: '/pages/login/login?redirect=' +
    encodeURIComponent('/pages/project/project?id=1')})
  catalogApi.project.mockResolvedValue(Object.assign({}, PROJECT, {owned: true}))
  await page.instance.onShow()
  expect(page.querySelector('#buy')).toBeFalsy()
  page.querySelector('#study').dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenLastCalledWith({url: '/pages/plan/plan?id=1'})
})

test('result: polls until the backend says paid, whatever WeChat said', async () => {
  const statuses = ['pending', 'pending', 'paid']
  ordersApi.getOrder.mockImplementation(async () => Object.assign({}, ORDER, {status: statuses.shift()}))
  jest.useFakeTimers()
  const page = render(resultPage)
  const done = page.instance.onLoad({order_no: ORDER.order_no, expect: 'paid'})
  await jest.advanceTimersByTimeAsync(0)
  expect(text(page, '#pay-result')).toBe('正在确认支付结果…')
  await jest.advanceTimersByTimeAsync(4000)
  await done
  jest.useRealTimers()
  expect(ordersApi.getOrder).toHaveBeenCalledTimes(3)
  expect(text(page, '#pay-result')).toBe('支付成功')
  page.querySelector('#go-learning').dispatchEvent('tap')
  await flush()
  expect(wx.redirectTo).toHaveBeenCalledWith({url: '/pages/plan/plan?id=1'})
})

test('result: no notification in time — not paid, with refresh and pay-again', async () => {
  ordersApi.getOrder.mockResolvedValue(ORDER)
  jest.useFakeTimers()
  const page = render(resultPage)
  const done = page.instance.onLoad({order_no: ORDER.order_no, expect: 'unknown'})
  await jest.advanceTimersByTimeAsync(10000)
  await done
  jest.useRealTimers()
  expect(text(page, '#pay-result')).toBe('尚未收到支付结果')
  expect(page.querySelector('#refresh')).toBeTruthy()
  expect(page.querySelector('#pay-again')).toBeTruthy()
  expect(page.dom.textContent).not.toContain('支付成功')
})

test('result: a closed order asks to order again', async () => {
  ordersApi.getOrder.mockResolvedValue(Object.assign({}, ORDER, {status: 'closed', status_text: '已关闭',
    payable: false}))
  const page = render(resultPage)
  await page.instance.onLoad({order_no: ORDER.order_no, expect: 'paid'})
  expect(text(page, '#pay-result')).toBe('订单已关闭')
  page.querySelector('#rebuy').dispatchEvent('tap')
  await flush()
  expect(wx.redirectTo).toHaveBeenCalledWith({url: '/pages/project/project?id=1'})
})

test('orders: Beijing times, and a pending order can be paid again', async () => {
  ordersApi.myOrders.mockResolvedValue([ORDER, Object.assign({}, ORDER, {order_no: 'CE2', status: 'paid',
    status_text: '已支付', payable: false, paid_at: '2026-03-01T02:05:00Z'})])
  const page = render(ordersPage)
  await page.instance.onShow()
  expect(page.querySelector('#order-' + ORDER.order_no).dom.textContent).toContain('下单 2026-03-01 10:00')
  expect(page.querySelector('#order-CE2').dom.textContent).toContain('支付时间 2026-03-01 10:05')
  expect(page.querySelectorAll('.btn-mini')).toHaveLength(1)
  page.querySelector('.btn-mini').dispatchEvent('tap')
  await flush()
  expect(ordersApi.payOrder).toHaveBeenCalledWith(ORDER.order_no)
  expect(wx.navigateTo).toHaveBeenCalledWith({url: '/pages/pay-result/pay-result?order_no=' + ORDER.order_no +
    '&expect=paid'})
})


test('project: "apply now" sends the invoice title with the order', async () => {
  request.setToken('t')
  const page = await openProject()
  page.instance.onInvoice({currentTarget: {dataset: {field: 'choice'}}, detail: {value: 'now'}})
  page.instance.onInvoice({currentTarget: {dataset: {field: 'titleType'}}, detail: {value: 'unit'}})
  page.instance.onInvoice({currentTarget: {dataset: {field: 'title'}}, detail: {value: '重庆市示例科技有限公司'}})
  page.instance.onInvoice({currentTarget: {dataset: {field: 'taxNo'}}, detail: {value: '91500103MA5U8XK27G'}})
  await flush()
  expect(page.querySelector('#f-invoice-tax')).toBeTruthy()
  page.querySelector('#buy').dispatchEvent('tap')
  await flush()
  expect(ordersApi.createOrder).toHaveBeenCalledWith(1, {choice: 'now', title_type: 'unit',
    title: '重庆市示例科技有限公司', tax_no: '91500103MA5U8XK27G'})
})
