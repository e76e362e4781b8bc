// Subscribe messages (wx.requestSubscribeMessage) at the moments a learner wants them, reported to
// the backend, which sends each accepted template once.
const env = require('./env')
const wechat = require('./wechat')
const wechatApi = require('../api/wechat')

// At most three one-time templates per request (WeChat's limit).
const MOMENTS = {
  paid: ['purchase_paid', 'course_completed', 'certificate_ready'],
  courseStart: ['course_completed', 'plan_completed', 'certificate_ready'],
  backfillSent: ['backfill_decided'],
}

/**
 * Ask for the templates of a moment ('paid', 'courseStart' or 'backfillSent'); must run in a tap handler or a payment
 * callback. Resolves with the accepted template names (reported to the backend), never rejects.
 */
async function askFor(moment) {
  const templates = env.settings().templates || {}
  const names = (MOMENTS[moment] || []).filter((name) => templates[name])
  const accepted = await wechat.requestSubscribeMessage(names.map((name) => templates[name]))
  const acceptedNames = names.filter((name) => accepted.includes(templates[name]))
  if (acceptedNames.length) {
    try {
      await wechatApi.reportSubscriptions(acceptedNames, {silent: true})
    } catch (e) {
      return [] // not recorded: the backend will simply not send
    }
  }
  return acceptedNames
}

module.exports = {askFor, MOMENTS}
