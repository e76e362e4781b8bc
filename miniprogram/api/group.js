// Group purchase by a unit's approved contact (/api/v1/units, /api/v1/group-orders).
const {get, post, upload} = require('../utils/request')

/** The units I act for, my applications, and the units that bought my seats. */
function myUnits() {
  return get('/units/mine')
}

/** Check a pasted list: one "身份证号" or "姓名 身份证号" a line. Resolves with the check (check_id, lines, counts). */
function checkLines(projectId, unitId, lines) {
  return post('/group-orders/checks', {project_id: projectId, unit_id: unitId, lines})
}

/**
 * Check the unit's xlsx list (附件2) picked with wx.chooseMessageFile. Resolves with the check, or with
 * {state: 'running', job, poll_url} for a large file being checked in the background (see checkJob).
 */
function uploadList(projectId, unitId, filePath) {
  return upload('/group-orders/checks/upload', filePath, {project_id: String(projectId), unit_id: String(unitId)})
}

/** A background check: {state: 'running'} | {state: 'done', ...the check} | {state: 'failed', message}. */
function checkJob(token) {
  return get('/group-orders/checks/jobs/' + encodeURIComponent(token), undefined, {silent: true})
}

/** One order for the check's valid lines (placing it again returns the same order). */
function createGroupOrder(checkId, invoice) {
  return post('/group-orders', {check_id: checkId, invoice: invoice || {choice: 'later'}})
}

/** My group orders with their seats (the names I typed, masked ID numbers, 待支付 until paid). */
function groupOrders() {
  return get('/group-orders')
}

module.exports = {myUnits, checkLines, uploadList, checkJob, createGroupOrder, groupOrders}
