// 补学 (/api/v1/backfill): earlier years granted after a reviewed payment proof or commitment letter.
const {get, post, upload, download, request} = require('../utils/request')

/** {years: [{project_id, year, name, owned, can_apply, application}], uploads, max_images, review_days, expected_due_on}. */
function overview() {
  return get('/backfill')
}

/** Upload one picked image (or, for the letter, a PDF scan). Resolves with [{id, url, width, height}]. */
function uploadImage(filePath, kind) {
  return upload('/backfill/uploads', filePath, {kind: kind || 'proof'})
}

/** Remove an uploaded image not yet sent; resolves with the overview as it is now. */
function deleteUpload(imageId) {
  return request('DELETE', '/backfill/uploads/' + imageId)
}

/** Send (or, after a rejection, resend) an application: {project_id, kind, order_no, payer, paid_on, platform, image_ids}. */
function apply(body) {
  return post('/backfill/applications', body)
}

/** One of my applications with its state, expected review date and reason. */
function application(applicationId) {
  return get('/backfill/applications/' + applicationId)
}

/** The commitment letter pre-filled with my data: resolves with the downloaded PDF's temp path. */
function downloadLetter(projectId) {
  return download('/api/v1/backfill/letters/' + projectId)
}

module.exports = {overview, uploadImage, deleteUpload, apply, application, downloadLetter}
