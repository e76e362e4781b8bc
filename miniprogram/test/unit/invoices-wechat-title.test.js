// 我的发票: a title the learner keeps in WeChat (wx.chooseInvoiceTitle) fills the title form, and is sent as
// the form is; a group order takes only a unit's title; a cancelled choice changes nothing.
const config = require('../../config')
const request = require('../../utils/request')
const {envelope, fail, succeed} = require('../helpers/wx')
const {load, render, flush, text} = require('../helpers/page')
const {NO, GROUP_NO, order, GROUP} = require('../helpers/invoices')

const id = load('pages', 'invoices')
const BASE = config.release.baseUrl
const PERSONAL = {type: '1', title: '张三', taxNumber: '', companyAddress: '', telephone: '13800000001', bankName: '',
  bankAccount: ''}

beforeEach(() => {
  request.setToken('tok')
  wx.__route('GET', '/api/v1/contact', envelope({account_phone: '023-1', tech_phone: '023-2', hours: '9:00–17:00'}))
  wx.__route('GET', '/api/v1/invoices', envelope([order(), GROUP]))
  wx.__route('GET', '/api/v1/invoices/titles', envelope([]))
})

async function openForm(orderNo) {
  const page = render(id)
  await page.instance.onShow()
  page.querySelector('#apply-' + orderNo).dispatchEvent('tap')
  await flush()
  return page
}

function posted() {
  return wx.request.mock.calls.map(([o]) => [o.method, o.url.replace(BASE, ''), o.data])
    .filter(([method]) => method === 'POST')
}

test('a unit title from WeChat fills the form and is sent as it is', async () => {
  const page = await openForm(NO)
  expect(text(page, '#wechat-title')).toBe('从微信选择抬头')
  page.querySelector('#wechat-title').dispatchEvent('tap')
  await flush()
  expect(wx.chooseInvoiceTitle).toHaveBeenCalledTimes(1)
  expect(page.instance.data.form).toMatchObject({titleType: 'unit', name: '重庆市示例科技有限公司',
    taxNo: '91500000MA5U00000W', email: ''})
  expect(page.querySelector('#f-tax')).toBeTruthy()
  wx.__route('POST', '/api/v1/invoices/orders/' + NO + '/apply', envelope(order(), {status: 201}))
  page.querySelector('#submit').dispatchEvent('tap')
  await flush()
  expect(posted()).toEqual([['POST', '/api/v1/invoices/orders/' + NO + '/apply',
    {title_type: 'unit', name: '重庆市示例科技有限公司', tax_no: '91500000MA5U00000W'}]])
})

test('a personal title from WeChat leaves no taxpayer number behind', async () => {
  const page = await openForm(NO)
  page.querySelector('#wechat-title').dispatchEvent('tap')
  await flush()
  wx.chooseInvoiceTitle.mockImplementation(succeed(PERSONAL))
  page.querySelector('#wechat-title').dispatchEvent('tap')
  await flush()
  expect(page.instance.data.form).toMatchObject({titleType: 'personal', name: '张三', taxNo: ''})
  expect(page.querySelector('#f-tax')).toBeFalsy()
  expect(page.querySelector('#notice')).toBeFalsy()
})

test('a group order refuses a personal title from WeChat and keeps the form as it was', async () => {
  wx.chooseInvoiceTitle.mockImplementation(succeed(PERSONAL))
  const page = await openForm(GROUP_NO)
  page.querySelector('#wechat-title').dispatchEvent('tap')
  await flush()
  expect(text(page, '#notice')).toBe('团体订单的发票只能开给单位，请选择单位抬头')
  expect(page.instance.data.form).toMatchObject({titleType: 'unit', name: '', taxNo: '', group: true})
  expect(posted()).toEqual([])
})

test('a cancelled choice changes nothing; a refused one says to type the title', async () => {
  wx.chooseInvoiceTitle.mockImplementation(fail('chooseInvoiceTitle:fail cancel'))
  const page = await openForm(NO)
  page.querySelector('#f-name').dispatchEvent('input', {detail: {value: '李四'}})
  await flush()
  page.querySelector('#wechat-title').dispatchEvent('tap')
  await flush()
  expect(page.instance.data.form).toMatchObject({titleType: 'personal', name: '李四'})
  expect(page.querySelector('#notice')).toBeFalsy()
  wx.chooseInvoiceTitle.mockImplementation(fail('chooseInvoiceTitle:fail auth deny'))
  page.querySelector('#wechat-title').dispatchEvent('tap')
  await flush()
  expect(text(page, '#notice')).toBe('无法读取微信中的发票抬头，请直接填写')
  expect(page.instance.data.form).toMatchObject({titleType: 'personal', name: '李四'})
})
