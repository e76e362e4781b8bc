// The unit dashboard (/api/v1/dashboard/...): for a unit's approved contacts.
const {get} = require('../utils/request')

/** The units I am an approved contact of: [{id, name}]. */
function myUnits() {
  return get('/dashboard/units')
}

/** A unit's learners for a year: {unit, year, summary, total, page, learners: [...]} (ID numbers masked). */
function unitLearners(unitId, {year, status, q, page} = {}) {
  const query = {page: page || 1}
  if (year) query.year = year
  if (status) query.status = status
  if (q) query.q = q
  return get('/dashboard/units/' + unitId + '/learners', query)
}

module.exports = {myUnits, unitLearners}
