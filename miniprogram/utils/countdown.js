// The "resend in N s" countdown of a page's SMS-code button: `codeWait` in the page's data.

/** Count `seconds` down in page.data.codeWait, once a second; a new call restarts it. */
function start(page, seconds) {
  stop(page)
  page.setData({codeWait: seconds})
  page._codeTimer = setInterval(() => {
    const left = page.data.codeWait - 1
    page.setData({codeWait: Math.max(0, left)})
    if (left <= 0) stop(page)
  }, 1000)
}

/** Stop the countdown (call from onUnload). */
function stop(page) {
  clearInterval(page._codeTimer)
  page._codeTimer = null
}

module.exports = {start, stop}
