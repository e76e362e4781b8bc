// Moving between pages: tab pages need wx.switchTab, the others wx.navigateTo.
const TAB_PAGES = ['/pages/home/home', '/pages/training/training', '/pages/mine/mine']
const AUTH_PAGES = /^\/?pages\/(login|register)\//

function isTab(url) {
  return TAB_PAGES.includes(String(url).split('?')[0])
}

/** Open a page (a tab page drops its query: WeChat does not pass one). */
function go(url) {
  if (isTab(url)) return wx.switchTab({url: url.split('?')[0]})
  return wx.navigateTo({url})
}

/** Replace the current page. */
function replace(url) {
  if (isTab(url)) return wx.switchTab({url: url.split('?')[0]})
  return wx.redirectTo({url})
}

/**
 * After logging in: back past the login and register pages to the page that sent the learner
 * (it reloads on show), else to `redirect` (or home) on a fresh page stack.
 */
function afterLogin(redirect) {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  let delta = 0
  while (delta < pages.length && AUTH_PAGES.test(pages[pages.length - 1 - delta].route || '')) delta += 1
  if (delta > 0 && delta < pages.length) return wx.navigateBack({delta})
  return wx.reLaunch({url: redirect || TAB_PAGES[0]})
}

/** The login page, coming back to `here` afterwards. */
function toLogin(here) {
  return wx.navigateTo({url: '/pages/login/login' + (here ? '?redirect=' + encodeURIComponent(here) : '')})
}

module.exports = {go, replace, afterLogin, toLogin, isTab, TAB_PAGES}
