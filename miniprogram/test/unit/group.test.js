jest.mock('../../api/catalog')
jest.mock('../../api/group')
jest.mock('../../api/orders')
jest.mock('../../utils/subscribe')
const catalogApi = require('../../api/catalog')
const groupApi = require('../../api/group')
const ordersApi = require('../../api/orders')
const subscribe = require('../../utils/subscribe')
const {fail} = require('../helpers/wx')
const {load, render, flush, text} = require('../helpers/page')

const groupPage = load('pages', 'group')
const ordersPage = load('pages', 'group-orders')

const UNIT = {id: 7, name: '重庆市某某局', credit_code: '91500000MA5U00000W', status: 'active'}
const PROJECTS = [{id: 1, name: '2026年公需科目', on_sale: true}, {id: 2, name: '2025年公需科目', on_sale: false}]
const CHECK = {check_id: 'c'.repeat(24), counts: {total: 3, ok: 1, error: 2, by_code: {}},
  lines: [{no: 1, status: 'ok', masked: '5001**********7657', name: '张三'},
    {no: 2, status: 'error', masked: '5001**********0014', name: '陈晨', code: 'name_mismatch', reason: '姓名与身份证号不一致'},
    {no: 3, status: 'error', masked: '5001**********1234', name: null, code: 'not_registered', reason: '未注册，请先批量注册'}]}
const ORDER = {order_no: 'CE20260301100000123456', status: 'pending', seats: [{id: 1, status_text: '待支付'}]}
const PAY = {appId: 'wxmini', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=p1', signType: 'RSA', paySign: 's'}

beforeEach(() => {
  catalogApi.projects.mockResolvedValue(PROJECTS)
  groupApi.myUnits.mockResolvedValue({units: [UNIT], applications: [], seat_units: []})
  groupApi.checkLines.mockResolvedValue(CHECK)
  groupApi.createGroupOrder.mockResolvedValue(ORDER)
  ordersApi.payOrder.mockResolvedValue(PAY)
  subscribe.askFor.mockResolvedValue([])
})

async function open() {
  const page = render(groupPage)
  await page.instance.onLoad()
  return page
}

test('group: not a contact, nothing to check', async () => {
  groupApi.myUnits.mockResolvedValue({units: [], applications: [], seat_units: []})
  const page = await open()
  expect(text(page, '#not-contact')).toContain('单位经办人')
  expect(page.querySelector('#check')).toBeFalsy()
})

test('group: a pasted list is checked for the unit and the plan on sale; verdicts shown; order and pay', async () => {
  const page = await open()
  page.instance.typeLines({detail: {value: '张三 500103199003077657\n陈晨 500103196001140014\n500103'}})
  page.querySelector('#check').dispatchEvent('tap')
  await flush()
  expect(groupApi.checkLines).toHaveBeenCalledWith(1, 7, expect.stringContaining('张三'))
  expect(text(page, '#summary')).toBe('共 3 行：通过 1 行，未通过 2 行')
  expect(text(page, '#check-lines')).toContain('姓名与身份证号不一致')
  page.querySelector('#pay').dispatchEvent('tap')
  await flush()
  expect(groupApi.createGroupOrder).toHaveBeenCalledWith(CHECK.check_id)
  expect(wx.requestPayment).toHaveBeenCalledWith(expect.objectContaining({package: 'prepay_id=p1'}))
  expect(wx.navigateTo).toHaveBeenCalledWith({url: '/pages/pay-result/pay-result?order_no=' + ORDER.order_no +
    '&expect=paid'})
})

test('group: the xlsx picked from a chat is uploaded and its check shown', async () => {
  groupApi.uploadList.mockResolvedValue(CHECK)
  const page = await open()
  page.querySelector('#pick-xlsx').dispatchEvent('tap')
  await flush()
  expect(wx.chooseMessageFile).toHaveBeenCalledWith(expect.objectContaining({type: 'file', extension: ['xlsx']}))
  expect(groupApi.uploadList).toHaveBeenCalledWith(1, 7, 'wxfile://tmp/list.xlsx')
  expect(text(page, '#summary')).toBe('共 3 行：通过 1 行，未通过 2 行')
})

test('a large list is checked in the background: polled until done, or its refusal said', async () => {
  const group = require('../../utils/group')
  const sleep = jest.fn(async () => {})
  groupApi.uploadList.mockResolvedValue({state: 'running', job: 'job-1', poll_url: '/x'})
  groupApi.checkJob.mockResolvedValueOnce({state: 'running'}).mockResolvedValueOnce(Object.assign({state: 'done'}, CHECK))
  const done = await group.checkFile(1, 7, 'wxfile://tmp/big.xlsx', {sleep})
  expect(done.check_id).toBe(CHECK.check_id)
  expect(groupApi.checkJob.mock.calls).toEqual([['job-1'], ['job-1']])
  expect(sleep).toHaveBeenCalledTimes(2)
  groupApi.checkJob.mockResolvedValueOnce({state: 'failed', message: '没有找到“身份证号码”列'})
  await expect(group.checkFile(1, 7, 'wxfile://tmp/big.xlsx', {sleep})).rejects.toThrow('没有找到“身份证号码”列')
})

test('group: a refused file says why; a cancelled pick does nothing', async () => {
  groupApi.uploadList.mockRejectedValue(new Error('表格单元格过多（超过 200000 个），请只保留名单所需的列和行，或分批上传'))
  const page = await open()
  page.querySelector('#pick-xlsx').dispatchEvent('tap')
  await flush()
  expect(text(page, '#error')).toContain('单元格过多')
  wx.chooseMessageFile.mockImplementation(fail('chooseMessageFile:fail cancel'))
  groupApi.uploadList.mockClear()
  page.querySelector('#pick-xlsx').dispatchEvent('tap')
  await flush()
  expect(groupApi.uploadList).not.toHaveBeenCalled()
})

test('group orders: seats with the typed names, 待支付 until paid; a pending order can be paid again', async () => {
  groupApi.groupOrders.mockResolvedValue([Object.assign({}, ORDER, {project: {name: '2026年公需科目'}, unit: UNIT.name,
    seat_count: 1, amount_yuan: '60.00', status_text: '待支付', payable: true, created_at: '2026-03-01T02:00:00Z',
    seats: [{id: 1, name: '张三', id_number: '5001**********7657', status_text: '待支付'}]})])
  const page = render(ordersPage)
  await page.instance.onShow()
  expect(text(page, '#orders')).toContain('张三 5001**********7657')
  expect(text(page, '#orders')).toContain('待支付')
  page.querySelector('.btn-mini').dispatchEvent('tap')
  await flush()
  expect(ordersApi.payOrder).toHaveBeenCalledWith(ORDER.order_no)
})
