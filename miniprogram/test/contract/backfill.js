#!/usr/bin/env node
// 补学 through the mini-program's own utils/ and api/ code against a real backend and the WeChat
// sandbox. Started by tests/test_miniprogram_backfill.py:
//
//   CONTRACT_CONFIG=/path/to/backfill.json node test/contract/backfill.js
//
// backfill.json: {base_url, sandbox_url, username, password, year, images: [paths], renamed_exe}
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
const backfill = require('../../utils/backfill')
const backfillApi = require('../../api/backfill')
const subscribe = require('../../utils/subscribe')

const step = stepper(phone)

async function main() {
  const summary = {}
  const year = await step('the learner logs in and sees the earlier years open to back-fill', async () => {
    await auth.signIn()
    const bound = await auth.bind(cfg.username, cfg.password)
    check(bound.bound === true, 'bound', bound)
    const data = await backfillApi.overview()
    const found = data.years.find((y) => y.year === cfg.year)
    check(found && found.can_apply && !found.owned && found.application === null, 'the year is open', data)
    check(data.max_images === 5 && data.review_days === 3, 'limits', data)
    return found
  })

  await step('the commitment letter downloads as a PDF', async () => {
    const path = await backfillApi.downloadLetter(year.project_id)
    check(fs.readFileSync(path).subarray(0, 5).toString() === '%PDF-', 'a PDF')
  })

  await step('a renamed executable is refused with the backend\'s message', async () => {
    const error = await backfill.uploadAll([cfg.renamed_exe], 'proof').then(() => null, (e) => e)
    check(error && error.status === 415 && error.message.includes('只能上传 JPEG、PNG 图片'), 'refused', error)
    check(phone.record.toasts.some((t) => t.includes('只能上传')), 'shown as a toast', phone.record.toasts)
  })

  const images = await step('two screenshots are uploaded (wx.uploadFile)', async () => {
    const stored = await backfill.uploadAll(cfg.images, 'proof')
    check(stored.length === 2 && stored.every((i) => i.id > 0 && i.url.startsWith('/backfill/images/')), 'stored', stored)
    return stored
  })

  await step('the application is sent and shows its state and expected review date', async () => {
    const accepted = await subscribe.askFor('backfillSent')  // as the page does on 提交申请
    check(accepted.length === 1 && accepted[0] === 'backfill_decided', 'the decision message accepted', accepted)
    const form = {order_no: 'MP2015-778899', payer: '小程序学员', paid_on: '2015-09-01', platform: '某继续教育网'}
    const sent = await backfillApi.apply(backfill.applicationBody(year.project_id, 'proof', form,
      images.map((i) => i.id)))
    check(sent.state === 'pending' && sent.images.length === 2 && sent.order_no === 'MP2015-778899', 'sent', sent)
    const again = await backfillApi.apply(backfill.applicationBody(year.project_id, 'proof', form,
      images.map((i) => i.id))).then(() => null, (e) => e)
    check(again && again.status === 409, 'one open application per year', again)
    const data = await backfillApi.overview()
    const shown = data.years.find((y) => y.year === cfg.year).application
    check(shown.state === 'pending' && shown.due_on === sent.due_on, 'pending', shown)
    Object.assign(summary, {application_id: sent.id, due_on: sent.due_on, state: shown.state})
  })
  return summary
}

finish(main)
