// The home page's announcements: what each shows (a kind label and the title), loaded without failing the page.
const announcementsApi = require('../api/announcements')

/** Each announcement with the heading the home page shows. */
function forHome(list) {
  return (list || []).map((a) => Object.assign({}, a, {heading: a.level_text + ' ' + a.title}))
}

/** The current announcements, or none when they cannot be loaded (the rest of the home page still shows). */
async function load() {
  try {
    return forHome(await announcementsApi.current())
  } catch (error) {
    return []
  }
}

module.exports = {forHome, load}
