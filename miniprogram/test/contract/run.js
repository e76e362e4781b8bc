#!/usr/bin/env node
// The contract test: the mini-program's own utils/ and api/ code against a real backend and the WeChat
// sandbox, over real HTTP. Started by tests/test_miniprogram_contract.py, which prepares the backend
// and checks the database afterwards:
//
//   CONTRACT_CONFIG=/path/to/contract.json node test/contract/run.js
//
// contract.json: {base_url, sandbox_url, username, password, name, project_id, unit_query,
//                 answers: {question_id: right option}, prompt_attempts, learn_timeout_ms, deadline_ms}
// Prints one "ok - step" line per step, then "RESULT {json}"; exits non-zero on the first failure.
const fs = require('fs')
const {makeHttpWx} = require('./wx-http')

const cfg = JSON.parse(fs.readFileSync(process.env.CONTRACT_CONFIG, 'utf8'))
const verbose = Boolean(process.env.CONTRACT_VERBOSE)
const phone = makeHttpWx({log: verbose ? (line) => console.error('  ' + line) : () => {}})
global.wx = phone
let pageStack = []
global.getCurrentPages = () => pageStack

// A development build with the sandbox standing in for WeChat, pointed at the backend under test.
const env = require('../../utils/env')
env.configure({baseUrl: cfg.base_url, sandboxUrl: cfg.sandbox_url})

const request = require('../../utils/request')
const auth = require('../../utils/auth')
const pay = require('../../utils/pay')
const subscribe = require('../../utils/subscribe')
const {Playback} = require('../../utils/playback')
const accountApi = require('../../api/account')
const catalogApi = require('../../api/catalog')
const ordersApi = require('../../api/orders')
const learningApi = require('../../api/learning')
const certsApi = require('../../api/certs')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function check(condition, message, detail) {
  if (!condition) throw new Error(message + (detail === undefined ? '' : ': ' + JSON.stringify(detail)))
}

async function rejects(promise) {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

async function step(name, fn) {
  const started = Date.now()
  try {
    const value = await fn()
    console.log(`ok - ${name} (${Date.now() - started} ms)`)
    return value
  } catch (error) {
    console.log(`not ok - ${name}: ${error && error.stack ? error.stack : JSON.stringify(error)}`)
    const last = phone.record.requests.slice(-5).map((r) => `${r.method} ${r.url} → ${r.status || r.error} ` +
      JSON.stringify(r.answer || '').slice(0, 300))
    console.log('# last requests:\n# ' + last.join('\n# '))
    throw error
  }
}

/** Watch a chapter at 1x in real time, answering questions (one wrong first), until the server says done. */
async function watch(playback, summary) {
  const session = playback.session
  let position = session.resume_position || 0
  await playback.beat('play', position, true)
  let last = Date.now()
  const deadline = Date.now() + (cfg.learn_timeout_ms || 60000)
  let answeredWrong = false
  while (!playback.complete) {
    check(Date.now() < deadline, 'the chapter did not complete in time', {watched: playback.watched})
    await sleep(playback.intervalMs)
    const now = Date.now()
    position = Math.min(session.duration, position + (now - last) / 1000)
    last = now
    const ended = position >= session.duration
    const answer = await playback.beat(ended ? 'ended' : 'timer', position, !ended)
    check(answer && ['ok', 'ask'].includes(answer.status), 'heartbeat not accepted', answer)
    check(typeof answer.watched_seconds === 'number', 'heartbeat answer has watched_seconds', answer)
    summary.heartbeats += 1
    if (!playback.question) continue

    // The player pauses for the question: that heartbeat must not claim playing.
    const question = playback.question
    check(question.text && Array.isArray(question.options) && !('answer' in question), 'question shape', question)
    const paused = await playback.beat('pause', position, false)
    check(paused.status === 'ask', 'a question stays open until answered', paused)
    if (!answeredWrong) {
      answeredWrong = true
      const wrong = (cfg.answers[question.id] + 1) % question.options.length
      const result = await playback.answer(wrong)
      check(result.correct === false && result.ended === false && result.question &&
        result.attempts_left === cfg.prompt_attempts - 1, 'a wrong answer gives a new question', result)
      summary.wrong_answers += 1
    }
    const right = await playback.answer(cfg.answers[playback.question.id])
    check(right.correct === true && playback.question === null, 'the right answer is accepted', right)
    summary.prompts_answered += 1
    await playback.beat('play', position, true)
    last = Date.now()
  }
  summary.watched_seconds = playback.watched
}

async function main() {
  const summary = {heartbeats: 0, prompts_answered: 0, wrong_answers: 0}

  await step('contact lines (GET /contact)', async () => {
    const contact = await accountApi.contact()
    check(contact.account_phone && contact.tech_phone && contact.hours, 'contact shape', contact)
  })

  const project = await step('catalogue: the plan on sale, with its courses', async () => {
    const projects = await catalogApi.projects()
    const found = projects.find((p) => p.id === cfg.project_id)
    check(found && found.on_sale && found.owned === false, 'plan listed and on sale', projects)
    const detail = await catalogApi.project(cfg.project_id)
    check(detail.courses.length > 0 && detail.price_yuan && detail.credit_hours, 'project detail', detail)
    return detail
  })

  await step('login with a wx.login code: unknown WeChat user, bind ticket', async () => {
    const result = await auth.signIn()
    check(result.bound === false && result.bind_ticket, 'not bound yet', result)
    check(!request.isLoggedIn(), 'no token before binding')
  })

  await step('binding with a wrong password fails clearly, without logging out', async () => {
    const error = await rejects(auth.bind(cfg.username, cfg.password + 'x'))
    check(error.code === 'bad_credentials' && error.status === 401 && error.message, 'bad credentials', error)
    check(phone.record.navigations.length === 0, 'no jump to the login page')
  })

  await step('bind the existing password account once; a fresh code then logs straight in', async () => {
    const bound = await auth.bind(cfg.username, cfg.password)
    check(bound.bound === true && request.isLoggedIn(), 'bound, token stored', bound)
    request.clearToken()
    const again = await auth.signIn()
    check(again.bound === true && again.user.name === cfg.name, 'same WeChat user, same account', again)
    const me = await accountApi.me()
    check(me.name === cfg.name && me.id_number.includes('*'), 'GET /me, masked', me)
    summary.sandbox_uid = wx.getStorageSync('ce.dev.sandboxUid')
  })

  const order = await step('buy: order, pay parameters checked by the sandbox (paySign), paid in the sandbox', async () => {
    const {order: created, outcome, errMsg} = await pay.buy(cfg.project_id)
    check(outcome === 'paid', 'payment went through', {outcome, errMsg})
    check(/^CE\d{20}$/.test(created.order_no) && created.amount_fen === Math.round(Number(project.price_yuan) * 100),
      'order shape', created)
    const payCall = phone.record.requests.find((r) => r.url.endsWith('/pay') && r.url.includes('/api/v1/orders/'))
    const params = payCall.answer.data
    check(['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign'].every((k) => typeof params[k] === 'string'),
      'wx.requestPayment parameters', params)
    check(params.signType === 'RSA' && params.package.startsWith('prepay_id='), 'RSA, prepay_id', params)
    const signCheck = phone.record.requests.find((r) => r.url.endsWith('/_sandbox/pay/check-paysign'))
    check(signCheck.answer.valid === true && signCheck.answer.appid_matches === true, 'paySign valid', signCheck.answer)
    summary.order_no = created.order_no
    summary.pay_app_id = params.appId
    return created
  })

  await step('the result page believes only the backend: polled until paid', async () => {
    const {order: seen, paid} = await pay.waitForPaid(order.order_no, {intervalMs: 300, timeoutMs: 20000})
    check(paid && seen.status === 'paid' && seen.paid_at && seen.pay_channel === 'mini', 'paid', seen)
    const mine = await ordersApi.myOrders()
    check(mine.some((o) => o.order_no === order.order_no && o.status === 'paid'), 'in my orders', mine)
  })

  // (The page asks right in the payment callback; here it waits for the notification so that the two
  // writes never race on SQLite and the run stays deterministic.)
  await step('after paying: subscribe messages asked for and reported', async () => {
    const accepted = await subscribe.askFor('paid')
    check(accepted.length === subscribe.MOMENTS.paid.length, 'all accepted in the sandbox', accepted)
    summary.subscriptions = accepted
  })

  await step('buying the same plan again is refused', async () => {
    const error = await rejects(ordersApi.createOrder(cfg.project_id))
    check(error.status === 409 && error.message, 'conflict', error)
  })

  const {course, chapter} = await step('my training: the plan, its courses paged, a course\'s chapters', async () => {
    const plans = await learningApi.myPlans()
    const plan = plans.find((p) => p.id === cfg.project_id)
    check(plan && plan.progress && plan.progress.earned_hours === 0 && plan.progress.credit_hours > 0, 'plan', plans)
    const page = await learningApi.planCourses(cfg.project_id, 1, 10)
    check(page.page === 1 && page.total >= 1 && page.items.length >= 1 && page.progress, 'courses page', page)
    const detail = await learningApi.course(page.items[0].id)
    const first = detail.chapters[0]
    check(first && first.state === 'new' && first.duration > 0 && first.watched_seconds === 0, 'chapter', detail)
    return {course: detail, chapter: first}
  })

  await step('starting a course: subscribe messages asked for and reported', async () => {
    const accepted = await subscribe.askFor('courseStart')
    check(accepted.length === subscribe.MOMENTS.courseStart.length, 'all accepted', accepted)
  })

  const playback = await step('start the chapter: a session, its video reachable', async () => {
    const p = new Playback(chapter.id)
    const session = await p.start()
    check(session.session_id && session.duration === chapter.duration && session.heartbeat_seconds >= 1,
      'session shape', session)
    const video = await fetch(request.absoluteUrl(session.video_url), {signal: AbortSignal.timeout(10000)})
    check(video.ok, 'video_url served from the backend', {url: request.absoluteUrl(session.video_url),
      status: video.status})
    summary.chapter_id = chapter.id
    return p
  })

  await step('watch at 1x with heartbeats, answering the anti-idle questions, until the chapter is done', () =>
    watch(playback, summary))

  await step('another device takes over: this one is told to stop', async () => {
    const other = new Playback(chapter.id)
    await other.start()
    const answer = await playback.beat('timer', chapter.duration, false)
    check(answer.status === 'taken_over' && playback.stopped && /其他设备/.test(playback.message),
      'taken over', answer)
    await other.beat('unload', other.session.resume_position || 0, false)
  })

  await step('progress read back: chapter and course complete, hours earned', async () => {
    const detail = await learningApi.course(course.id)
    const done = detail.chapters.find((c) => c.id === chapter.id)
    check(done.state === 'complete' && done.watched_seconds >= done.duration - 2, 'chapter complete', done)
    check(detail.complete === true, 'course complete', detail)
    const plan = (await learningApi.myPlans()).find((p) => p.id === cfg.project_id)
    check(plan.progress.earned_hours === course.credit_hours && plan.progress.courses_done === 1, 'plan', plan)
    summary.plan_progress = plan.progress
  })

  await step('certificate: confirm the data with a unit, print, open the PDF', async () => {
    let item = (await certsApi.myCertificates()).find((i) => i.project_id === cfg.project_id)
    check(item && item.state === 'need_profile', 'listed, data to confirm', item)
    const profile = await certsApi.certProfile(cfg.project_id)
    check(profile.name === cfg.name && profile.confirmed === false, 'profile', profile)
    const districts = await certsApi.districts()
    check(districts.length > 0 && districts[0].code && districts[0].name, 'districts', districts.slice(0, 2))
    const units = await certsApi.searchUnits(cfg.unit_query)
    check(units.length === 1 && units[0].id, 'unit found', units)
    await certsApi.saveCertProfile(cfg.project_id, {unitId: units[0].id})
    const cert = await certsApi.issueCertificate(cfg.project_id)
    check(cert.number && cert.pdf_url && cert.status === 'valid', 'issued', cert)
    const file = await request.download(cert.pdf_url)
    check(fs.readFileSync(file).subarray(0, 5).toString() === '%PDF-', 'a PDF downloaded with the token')
    item = (await certsApi.myCertificates()).find((i) => i.project_id === cfg.project_id)
    check(item.state === 'issued' && item.certificate.number === cert.number, 'now issued', item)
    summary.certificate = cert.number
  })

  await step('change the password: the token is renewed and still works; the old password no longer binds', async () => {
    const renewed = await accountApi.changePassword(cfg.password, cfg.password + 'N')
    check(renewed && renewed.token, 'a renewed token', renewed)
    request.setToken(renewed.token)
    const me = await accountApi.me()
    check(me.name === cfg.name, 'still signed in with the renewed token', me)
    const back = await accountApi.changePassword(cfg.password + 'N', cfg.password)
    request.setToken(back.token)
    const wrong = await rejects(accountApi.changePassword(cfg.password + 'N', cfg.password + 'M'))
    check(wrong.status === 422, 'the old password is refused', wrong)
  })

  await step('forgot password: a reset code is asked for the registered mobile', async () => {
    const sent = await accountApi.resetCode(cfg.mobile)
    check(sent && sent.resend_after > 0, 'a resend wait', sent)
  })

  await step('an ended login: token dropped, login page opened with the way back', async () => {
    request.setToken('no-such-token')
    pageStack = [{route: 'pages/course/course', options: {id: String(course.id)}}]
    const error = await rejects(accountApi.me())
    check(error.code === 'unauthorized' && error.status === 401, 'unauthorized', error)
    check(!request.isLoggedIn(), 'token forgotten')
    const to = phone.record.navigations[phone.record.navigations.length - 1]
    check(to === '/pages/login/login?redirect=' + encodeURIComponent('/pages/course/course?id=' + course.id),
      'to the login page', phone.record.navigations)
  })

  summary.toasts = phone.record.toasts
  return summary
}

const timer = setTimeout(() => {
  console.log('not ok - the whole run took longer than ' + (cfg.deadline_ms || 180000) + ' ms')
  process.exit(3)
}, cfg.deadline_ms || 180000)

main().then((summary) => {
  clearTimeout(timer)
  console.log('RESULT ' + JSON.stringify(summary))
  process.exit(0)
}, () => {
  process.exit(1)
})
