// 补学 steps shared by the page: pick photos or screenshots, upload them one by one, send the application.
const backfillApi = require('../api/backfill')

/** Pick up to `count` images from the album or camera; resolves with their temp paths ([] if cancelled). */
function chooseImages(count) {
  return new Promise((resolve) => {
    wx.chooseMedia({count, mediaType: ['image'], sizeType: ['original'], sourceType: ['album', 'camera'],
      success: (res) => resolve(res.tempFiles.map((f) => f.tempFilePath)), fail: () => resolve([])})
  })
}

/** Upload picked files in order; resolves with the stored images [{id, url, ...}] (a PDF may give several). */
async function uploadAll(paths, kind) {
  const stored = []
  for (const path of paths) {
    stored.push(...await backfillApi.uploadImage(path, kind))
  }
  return stored
}

/** The application's body from the form: the proof fields only for kind "proof". */
function applicationBody(projectId, kind, form, imageIds) {
  const body = {project_id: projectId, kind, image_ids: imageIds}
  if (kind === 'proof') {
    Object.assign(body, {order_no: form.order_no || '', payer: form.payer || '', paid_on: form.paid_on || '',
      platform: form.platform || ''})
  }
  return body
}

module.exports = {chooseImages, uploadAll, applicationBody}
