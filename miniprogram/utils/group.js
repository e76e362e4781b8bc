// Group purchase steps shared by the pages: pick the unit's list from a chat and have it checked
// (waiting for a background check when the file is large), then order and pay.
const groupApi = require('../api/group')
const pay = require('./pay')

function chooseXlsx() {
  return new Promise((resolve, reject) => {
    wx.chooseMessageFile({count: 1, type: 'file', extension: ['xlsx'],
      success: (res) => resolve(res.tempFiles[0]), fail: reject})
  })
}

/** Upload the picked list; a large one is checked in the background: poll until done. Resolves with the check. */
async function checkFile(projectId, unitId, filePath, {intervalMs = 1500, timeoutMs = 120000, sleep} = {}) {
  const wait = sleep || ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  let answer = await groupApi.uploadList(projectId, unitId, filePath)
  const token = answer.job
  const deadline = Date.now() + timeoutMs
  while (answer.state === 'running') {
    if (Date.now() > deadline) throw new Error('名单校验时间较长，请稍后在网页版查看')
    await wait(intervalMs)
    answer = await groupApi.checkJob(token)
  }
  if (answer.state === 'failed') throw new Error(answer.message)
  return answer
}

/** One order for the check's valid lines, paid with wx.requestPayment. Resolves {order, outcome}. */
async function orderAndPay(checkId) {
  const order = await groupApi.createGroupOrder(checkId)
  return Object.assign({order}, await pay.payExisting(order.order_no))
}

module.exports = {chooseXlsx, checkFile, orderAndPay}
