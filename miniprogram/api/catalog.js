// Training projects by year (/api/v1/projects).
const {get} = require('../utils/request')

/** Every published project, newest year first, each with `owned` when logged in. */
function projects() {
  return get('/projects')
}

/** One project with its courses. */
function project(projectId) {
  return get('/projects/' + projectId)
}

module.exports = {projects, project}
