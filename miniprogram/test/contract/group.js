#!/usr/bin/env node
// Group purchase through the mini-program's own utils/ and api/ code against a real backend and the
// WeChat sandbox. Started by tests/test_miniprogram_group.py:
//
//   CONTRACT_CONFIG=/path/to/group.json node test/contract/group.js
//
// group.json: {base_url, sandbox_url, username, password, project_id, unit_id, lines, xlsx_path,
//              big_xlsx_path, stranger_username, stored_names}
// Prints "ok - step" lines, then "RESULT {json}"; exits non-zero on the first failure.
const fs = require('fs')
const {makeHttpWx} = require('./wx-http')
const {check, stepper, finish} = require('./harness')

const cfg = JSON.parse(fs.readFileSync(process.env.CONTRACT_CONFIG, 'utf8'))
const phone = makeHttpWx({log: process.env.CONTRACT_VERBOSE ? (line) => console.error('  ' + line) : () => {}})
global.wx = phone
global.getCurrentPages = () => []

const env = require('../../utils/env')
env.configure({baseUrl: cfg.base_url, sandboxUrl: cfg.sandbox_url})
const request = require('../../utils/request')
const auth = require('../../utils/auth')
const group = require('../../utils/group')
const groupApi = require('../../api/group')
const accountApi = require('../../api/account')

const step = stepper(phone)

/** Nothing stored about a person the contact did not type: no stored name in any answer. */
function leaksNothing(answer) {
  const text = JSON.stringify(answer)
  cfg.stored_names.forEach((name) => check(!text.includes(name), 'a stored name in the answer', name))
}

async function main() {
  const summary = {}
  await step('a learner who is not a contact is refused', async () => {
    await auth.signIn()
    await auth.bind(cfg.stranger_username, cfg.password)
    const error = await groupApi.checkLines(cfg.project_id, cfg.unit_id, cfg.lines).then(() => null, (e) => e)
    check(error && error.status === 403 && error.code === 'not_unit_contact', 'refused', error)
    const mine = await groupApi.myUnits()
    check(mine.units.length === 0, 'no unit', mine)
    request.clearToken()
    wx.removeStorageSync('ce.dev.sandboxUid')
  })

  await step('the contact logs in (a new WeChat user binds the password account)', async () => {
    await auth.signIn()
    const bound = await auth.bind(cfg.username, cfg.password)
    check(bound.bound === true, 'bound', bound)
    const mine = await groupApi.myUnits()
    check(mine.units.length === 1 && mine.units[0].id === cfg.unit_id, 'my unit', mine)
  })

  await step('pasted lines: every verdict, nothing stored revealed', async () => {
    const result = await groupApi.checkLines(cfg.project_id, cfg.unit_id, cfg.lines)
    leaksNothing(result)
    summary.pasted = result.lines.map((l) => [l.status, l.reason || null])
  })

  const checked = await step('the unit\'s xlsx picked from a chat (wx.chooseMessageFile) and uploaded', async () => {
    phone.messageFiles.push(cfg.xlsx_path)
    const file = await group.chooseXlsx()
    const result = await group.checkFile(cfg.project_id, cfg.unit_id, file.path)
    leaksNothing(result)
    summary.xlsx = result.lines.map((l) => [l.no, l.status, l.code || null])
    return result
  })

  await step('a large xlsx is checked in the background; the page polls until done', async () => {
    phone.messageFiles.push(cfg.big_xlsx_path)
    const file = await group.chooseXlsx()
    const started = phone.record.requests.length
    const result = await group.checkFile(cfg.project_id, cfg.unit_id, file.path, {intervalMs: 300, timeoutMs: 60000})
    const polls = phone.record.requests.slice(started).filter((r) => r.url.includes('/checks/jobs/'))
    check(polls.length >= 1 && result.counts.total === cfg.big_rows, 'polled, then the check', result.counts)
    summary.big_total = result.counts.total
  })

  await step('order the valid lines and pay with wx.requestPayment (sandbox)', async () => {
    const {order, outcome, errMsg} = await group.orderAndPay(checked.check_id)
    check(outcome === 'paid', 'paid at WeChat', {outcome, errMsg})
    check(order.seats.every((s) => s.status_text === '待支付'), 'seats wait for the payment', order.seats)
    leaksNothing(order)
    summary.order_no = order.order_no
  })

  await step('group orders: paid, seats open', async () => {
    const deadline = Date.now() + 20000
    let order
    do {
      order = (await groupApi.groupOrders()).find((o) => o.order_no === summary.order_no)
      if (order.status === 'paid') break
      await new Promise((resolve) => setTimeout(resolve, 300))
    } while (Date.now() < deadline)
    check(order.status === 'paid' && order.seats.every((s) => s.status_text === '已开通'), 'paid', order)
    leaksNothing(order)
    const me = await accountApi.me()
    summary.contact = me.name
  })
  return summary
}

finish(main)
