// 我的发票 against answers shaped as the backend's (app/invoices/views_data.py, schemas.py): what the page
// shows, and exactly what it sends through utils/request.js (wx.request answered by the test).
const config = require('../../config')
const request = require('../../utils/request')
const {envelope, fail} = require('../helpers/wx')
const {load, render, flush, text} = require('../helpers/page')
const {NO, GROUP_NO, OLD_NO, order, FAPIAO, ISSUED, GROUP, OLD, TITLES} = require('../helpers/invoices')

const id = load('pages', 'invoices')
const BASE = config.release.baseUrl

let orders
beforeEach(() => {
  request.setToken('tok')
  orders = [order()]
  wx.__route('GET', '/api/v1/contact', envelope({account_phone: '023-1', tech_phone: '023-2', hours: '9:00–17:00'}))
  wx.__route('GET', '/api/v1/invoices', () => envelope(orders))
  wx.__route('GET', '/api/v1/invoices/titles', envelope(TITLES))
})

/** Every call to the backend but the customer-service lines: [method, path, body]. */
function calls() {
  return wx.request.mock.calls.map(([o]) => [o.method, o.url.replace(BASE, ''), o.data])
    .filter(([, path]) => path !== '/api/v1/contact')
}

async function open() {
  const page = render(id)
  await page.instance.onShow()
  return page
}

const squash = (node) => node.dom.textContent.replace(/\s+/g, ' ').trim()
const texts = (page, selector) => page.querySelectorAll(selector).map(squash)

test('each paid order: its state, its invoices, and what may be done or why not', async () => {
  const issued = Object.assign({}, ISSUED, {order_no: 'CE2', invoices: [Object.assign({}, FAPIAO,
    {fapiao_id: 'CE2F1', pdf_url: '/api/v1/invoices/CE2F1/pdf'})]})
  orders = [order(), issued, GROUP, OLD]
  const page = await open()
  expect(texts(page, '.card .card-title')).toEqual(['2026年公需科目',
    '2026年公需科目', '2026年公需科目', '2025年公需科目'])
  expect(text(page, '#state-' + NO)).toBe('未申请')
  expect(text(page, '#order-' + NO + ' .card-meta')).toBe('订单号 ' + NO)
  expect(text(page, '#apply-' + NO)).toBe('申请发票')

  expect(page.querySelector('#state-CE2').dom.className).toContain('tag-ok')
  expect(text(page, '#state-CE2')).toBe('已开具')
  expect(page.querySelectorAll('#order-CE2 .invoice .card-meta').map(squash)).toEqual([
    '张三 · 已开具 · 26502000000012345678', '已放入微信卡包'])
  expect(text(page, '#open-CE2F1')).toBe('查看/下载')
  expect(text(page, '#change-CE2')).toBe('修改抬头（仅一次）')
  expect(page.querySelector('#apply-CE2')).toBeFalsy()

  expect(text(page, '#order-' + GROUP_NO + ' .card-meta')).toBe('订单号 ' + GROUP_NO + ' · 团购（开给单位）')
  expect(page.querySelector('#apply-' + OLD_NO)).toBeFalsy()
  expect(text(page, '#order-' + OLD_NO + ' .refusal')).toBe('发票须在付款当年申请：该订单于 2025 年付款，已不能申请')
  expect(page.querySelector('#form')).toBeFalsy()
  expect(page.querySelector('#no-invoices')).toBeFalsy()
  expect(calls()).toEqual([['GET', '/api/v1/invoices', undefined]])
  expect(wx.request.mock.calls.find(([o]) => o.url === BASE + '/api/v1/invoices')[0].header.Authorization)
    .toBe('Bearer tok')
})

test('no paid order: says so; a failed load shows the backend\'s message', async () => {
  orders = []
  const page = await open()
  expect(text(page, '#no-invoices')).toBe('还没有已支付的订单')
  expect(page.querySelector('#notice')).toBeFalsy()
  wx.__route('GET', '/api/v1/invoices', envelope(null, {status: 503, code: 'unavailable',
    message: '服务繁忙，请稍后再试'}))
  const failed = await open()
  expect(text(failed, '#notice')).toBe('服务繁忙，请稍后再试')
  expect(wx.showToast).toHaveBeenCalledWith({title: '服务繁忙，请稍后再试', icon: 'none', duration: 2500})
})

test('apply: the saved titles are offered; picking one fills the form, which is sent as it is', async () => {
  const page = await open()
  page.querySelector('#apply-' + NO).dispatchEvent('tap')
  await flush()
  expect(calls()).toEqual([['GET', '/api/v1/invoices', undefined], ['GET', '/api/v1/invoices/titles', undefined]])
  expect(text(page, '#saved-titles .saved-head')).toBe('常用抬头（点选填入）')
  expect(texts(page, '#saved-titles .saved-name')).toEqual(['重庆市示例科技有限公司', '张三', '重庆市某某局'])
  expect(texts(page, '#saved-titles .card-meta')).toEqual(['单位 · 91500000MA5U00000W · caiwu@example.cn', '个人',
    '单位 · 11500000MB1234567X'])
  expect(page.instance.data.form).toEqual({orderNo: NO, action: 'apply', titleType: 'personal', name: '',
    taxNo: '', email: '', group: false})

  page.querySelector('#saved-0').dispatchEvent('tap')
  await flush()
  expect(page.instance.data.form).toMatchObject({titleType: 'unit', name: '重庆市示例科技有限公司',
    taxNo: '91500000MA5U00000W', email: 'caiwu@example.cn'})
  expect(page.querySelector('#f-tax')).toBeTruthy()
  page.querySelector('#saved-1').dispatchEvent('tap') // a personal title: no taxpayer number left behind
  await flush()
  expect(page.instance.data.form).toMatchObject({titleType: 'personal', name: '张三', taxNo: '',
    email: 'caiwu@example.cn'})
  expect(page.querySelector('#f-tax')).toBeFalsy()
  page.querySelector('#saved-2').dispatchEvent('tap')
  await flush()

  wx.__route('POST', '/api/v1/invoices/orders/' + NO + '/apply', envelope(order({state: 'applying',
    state_text: '申请中', can_apply: false, apply_refusal: '已申请发票'}), {status: 201, message: '发票申请已提交'}))
  orders = [order({state: 'applying', state_text: '申请中', can_apply: false, apply_refusal: '已申请发票'})]
  page.querySelector('#submit').dispatchEvent('tap')
  await flush()
  expect(calls().slice(2)).toEqual([
    ['POST', '/api/v1/invoices/orders/' + NO + '/apply', {title_type: 'unit', name: '重庆市某某局',
      tax_no: '11500000MB1234567X', email: 'caiwu@example.cn'}],
    ['GET', '/api/v1/invoices', undefined]])
  expect(wx.showToast).toHaveBeenCalledWith({title: '已提交申请', icon: 'success'})
  expect(page.querySelector('#form')).toBeFalsy()
  expect(text(page, '#state-' + NO)).toBe('申请中')
  expect(text(page, '#order-' + NO + ' .refusal')).toBe('已申请发票')
})

test('apply with a typed personal title: only the name is sent', async () => {
  wx.__route('GET', '/api/v1/invoices/titles', envelope([]))
  const page = await open()
  page.querySelector('#apply-' + NO).dispatchEvent('tap')
  await flush()
  expect(page.querySelector('#saved-titles')).toBeFalsy()
  page.querySelector('#f-name').dispatchEvent('input', {detail: {value: '李四'}})
  await flush()
  wx.__route('POST', '/api/v1/invoices/orders/' + NO + '/apply', envelope(order(), {status: 201}))
  page.querySelector('#submit').dispatchEvent('tap')
  await flush()
  expect(calls()[2]).toEqual(['POST', '/api/v1/invoices/orders/' + NO + '/apply',
    {title_type: 'personal', name: '李四'}])
})

test('a refused title: the backend\'s reason stays on the page with the form, nothing reloaded', async () => {
  wx.__route('GET', '/api/v1/invoices/titles', envelope([]))
  const page = await open()
  page.querySelector('#apply-' + NO).dispatchEvent('tap')
  await flush()
  page.querySelector('#f-type').dispatchEvent('change', {detail: {value: 'unit'}})
  page.querySelector('#f-name').dispatchEvent('input', {detail: {value: '重庆市示例单位'}})
  await flush()
  page.querySelector('#f-tax').dispatchEvent('input', {detail: {value: '91500103MA5U8XK27H'}})
  await flush()
  const message = '发票抬头有误：纳税人识别号 统一社会信用代码校验位不正确'
  wx.__route('POST', '/api/v1/invoices/orders/' + NO + '/apply', envelope({fields: {}}, {status: 422,
    code: 'invalid_input', message}))
  page.querySelector('#submit').dispatchEvent('tap')
  await flush()
  expect(calls().slice(2)).toEqual([['POST', '/api/v1/invoices/orders/' + NO + '/apply',
    {title_type: 'unit', name: '重庆市示例单位', tax_no: '91500103MA5U8XK27H'}]])
  expect(text(page, '#notice')).toBe(message)
  expect(page.querySelector('#form')).toBeTruthy()
  expect(page.instance.data.busy).toBe('')
  expect(wx.showToast).toHaveBeenCalledWith({title: message, icon: 'none', duration: 2500})
  expect(wx.showToast).not.toHaveBeenCalledWith(expect.objectContaining({icon: 'success'}))
})

test('change the title: a saved title picked and sent to the change endpoint', async () => {
  orders = [ISSUED]
  const page = await open()
  page.querySelector('#change-' + NO).dispatchEvent('tap')
  await flush()
  expect(page.instance.data.form).toMatchObject({orderNo: NO, action: 'change', titleType: 'personal'})
  page.querySelector('#saved-0').dispatchEvent('tap')
  await flush()
  wx.__route('POST', '/api/v1/invoices/orders/' + NO + '/change', envelope(ISSUED, {message: '发票抬头修改已提交'}))
  page.querySelector('#submit').dispatchEvent('tap')
  await flush()
  expect(calls().slice(1)).toEqual([
    ['GET', '/api/v1/invoices/titles', undefined],
    ['POST', '/api/v1/invoices/orders/' + NO + '/change', {title_type: 'unit', name: '重庆市示例科技有限公司',
      tax_no: '91500000MA5U00000W', email: 'caiwu@example.cn'}],
    ['GET', '/api/v1/invoices', undefined]])
  expect(wx.showToast).toHaveBeenCalledWith({title: '已提交修改', icon: 'success'})
})

test('a group order is invoiced to a unit: only unit titles offered, no personal choice', async () => {
  orders = [GROUP]
  const page = await open()
  page.querySelector('#apply-' + GROUP_NO).dispatchEvent('tap')
  await flush()
  expect(texts(page, '#saved-titles .saved-name')).toEqual(['重庆市示例科技有限公司', '重庆市某某局'])
  expect(squash(page.querySelector('#f-type'))).toBe('单位')
  expect(page.instance.data.form).toMatchObject({titleType: 'unit', group: true})
  page.querySelector('#saved-1').dispatchEvent('tap')
  await flush()
  wx.__route('POST', '/api/v1/invoices/orders/' + GROUP_NO + '/apply', envelope(GROUP, {status: 201}))
  page.querySelector('#submit').dispatchEvent('tap')
  await flush()
  expect(calls()[2]).toEqual(['POST', '/api/v1/invoices/orders/' + GROUP_NO + '/apply',
    {title_type: 'unit', name: '重庆市某某局', tax_no: '11500000MB1234567X'}])
})

test('saved titles that fail to load leave the form working, without a toast; a closed form stays closed', async () => {
  wx.__route('GET', '/api/v1/invoices/titles', envelope(null, {status: 500, code: 'error', message: '服务器错误'}))
  const page = await open()
  page.querySelector('#apply-' + NO).dispatchEvent('tap')
  await flush()
  expect(page.querySelector('#form')).toBeTruthy()
  expect(page.querySelector('#saved-titles')).toBeFalsy()
  expect(wx.showToast).not.toHaveBeenCalled()

  wx.__route('GET', '/api/v1/invoices/titles', () => {
    page.instance.closeForm() // the learner cancels before the titles arrive
    return envelope(TITLES)
  })
  page.querySelector('#apply-' + NO).dispatchEvent('tap')
  await flush()
  expect(page.querySelector('#form')).toBeFalsy()
  expect(page.instance.data.titles).toEqual([])
})

test('an issued invoice opens with the token in WeChat\'s viewer, or is mailed to the typed address', async () => {
  orders = [ISSUED]
  const page = await open()
  page.querySelector('#open-' + NO + 'F1').dispatchEvent('tap')
  await flush(12)
  expect(wx.downloadFile).toHaveBeenCalledTimes(1)
  const download = wx.downloadFile.mock.calls[0][0]
  expect(download.url).toBe(BASE + '/api/v1/invoices/' + NO + 'F1/pdf')
  expect(download.header.Authorization).toBe('Bearer tok')
  expect(wx.openDocument.mock.calls[0][0]).toMatchObject({filePath: 'wxfile://tmp/certificate.pdf', fileType: 'pdf',
    showMenu: true})
  expect(wx.hideLoading).toHaveBeenCalledTimes(1)

  const mail = page.querySelectorAll('#order-' + NO + ' .invoice .btn-mini')[1]
  expect(squash(mail)).toBe('发送到邮箱')
  wx.showModal.mockImplementation(fail('showModal:fail cancel'))
  mail.dispatchEvent('tap')
  await flush()
  expect(calls()).toEqual([['GET', '/api/v1/invoices', undefined]])

  wx.showModal.mockImplementation((opts) => Promise.resolve().then(() => opts.success({confirm: true,
    content: ' zhangsan@example.cn '})))
  wx.__route('POST', '/api/v1/invoices/' + NO + 'F1/mail', envelope(ISSUED, {message: '发票已发送到邮箱'}))
  mail.dispatchEvent('tap')
  await flush()
  expect(wx.showModal.mock.calls[1][0]).toMatchObject({title: '发送到邮箱', editable: true, placeholderText: '电子邮箱'})
  expect(calls()[1]).toEqual(['POST', '/api/v1/invoices/' + NO + 'F1/mail', {email: 'zhangsan@example.cn'}])
  expect(wx.showToast).toHaveBeenCalledWith({title: '已发送', icon: 'success'})

  wx.__route('POST', '/api/v1/invoices/' + NO + 'F1/mail', envelope(null, {status: 409, code: 'conflict',
    message: '发票尚未开具，暂不能发送'}))
  mail.dispatchEvent('tap')
  await flush()
  expect(text(page, '#notice')).toBe('发票尚未开具，暂不能发送')
})
