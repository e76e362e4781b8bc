// Certificates (/api/v1/certificates, /units, /districts).
const {get, post} = require('../utils/request')

/** Finished plans with their certificate state: need_profile | ready | issued | revoked. */
function myCertificates() {
  return get('/certificates')
}

/** The data that will be printed: {name, id_number (masked), confirmed, unit, district, locked}. */
function certProfile(projectId) {
  return get('/certificates/' + projectId + '/profile')
}

/** Confirm name and ID, with the unit (unitId) or, when not listed, the personnel file's district. */
function saveCertProfile(projectId, {unitId, districtCode}) {
  const body = {confirm: true}
  if (unitId) body.unit_id = unitId
  if (districtCode) body.district_code = districtCode
  return post('/certificates/' + projectId + '/profile', body)
}

/** Print: issues the certificate the first time, the same one afterwards; {number, pdf_url, ...}. */
function issueCertificate(projectId) {
  return post('/certificates/' + projectId + '/issue', {})
}

/** Units whose name contains `q` (at most 20). */
function searchUnits(q) {
  return get('/units', {q: q || ''}, {silent: true})
}

/** The districts and counties where a personnel file may be kept: [{code, name}]. */
function districts() {
  return get('/districts')
}

module.exports = {myCertificates, certProfile, saveCertProfile, issueCertificate, searchUnits, districts}
