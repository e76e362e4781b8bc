// Announcements shown on the home page (/api/v1/announcements).
const {get} = require('../utils/request')

/** Published announcements whose start has come and whose end has not, most urgent first. */
function current() {
  return get('/announcements')
}

module.exports = {current}
