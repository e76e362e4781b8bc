#!/usr/bin/env node
// 我的发票 through the mini-program's own utils/ and api/ code against a real backend and the WeChat sandbox.
// Started by tests/test_miniprogram_invoices.py:
//
//   CONTRACT_CONFIG=/path/to/invoices.json node test/contract/invoices.js
//
// invoices.json: {base_url, sandbox_url, username, password, order_no, title, deadline_ms}
// Steps: log in, see the paid order "not applied", apply later, the title saved to pick next time, wait until
// issued, download the PDF.
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
const auth = require('../../utils/auth')
const invoicesApi = require('../../api/invoices')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const step = stepper(phone)

function mine(list) {
  return list.find((o) => o.order_no === cfg.order_no)
}

async function main() {
  const summary = {}
  await step('log in and bind the account', async () => {
    await auth.signIn()
    const bound = await auth.bind(cfg.username, cfg.password)
    check(bound.bound === true, 'bound', bound)
  })
  await step('the paid order has no invoice yet and may apply', async () => {
    const order = mine(await invoicesApi.myInvoices())
    check(order && order.state === 'not_applied' && order.can_apply, 'not applied', order)
  })
  await step('no saved title yet', async () => {
    const titles = await invoicesApi.savedTitles()
    check(Array.isArray(titles) && titles.length === 0, 'none', titles)
  })
  await step('a wrong taxpayer number is refused with the reason', async () => {
    const error = await invoicesApi.applyInvoice(cfg.order_no, {title_type: 'unit', name: '重庆市示例单位',
      tax_no: '91500103MA5U8XK27H'}).then(() => null, (e) => e)
    check(error && error.status === 422 && /校验位不正确/.test(JSON.stringify(error)), 'refused', error)
  })
  await step('apply later with a personal title', async () => {
    const order = await invoicesApi.applyInvoice(cfg.order_no, {title_type: 'personal', name: cfg.title})
    check(order.state === 'applying' && order.invoices.length === 1, 'applying', order)
  })
  await step('the title is saved, offered when the form opens next time', async () => {
    summary.saved_titles = await invoicesApi.savedTitles({silent: true})
    check(summary.saved_titles.length === 1 && summary.saved_titles[0].name === cfg.title, 'saved',
      summary.saved_titles)
  })
  const invoice = await step('the invoice is issued', async () => {
    const deadline = Date.now() + (cfg.deadline_ms || 30000)
    while (Date.now() < deadline) {
      const order = mine(await invoicesApi.myInvoices())
      if (order.state === 'issued' && order.invoices[0].pdf_url) return order.invoices[0]
      await sleep(300)
    }
    throw new Error('not issued in time')
  })
  await step('download the PDF', async () => {
    const path = await invoicesApi.downloadInvoice(invoice.pdf_url)
    const head = fs.readFileSync(path).subarray(0, 5).toString()
    check(head === '%PDF-', 'a PDF', head)
    summary.pdf_path = path
    summary.fapiao_id = invoice.fapiao_id
  })
  return summary
}

finish(main)
