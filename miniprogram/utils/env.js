// Which backend (and, in development only, which WeChat sandbox) this copy of the mini-program talks to.
const config = require('../config')

// Development only: point a phone on the LAN at a laptop without editing config.js, e.g. in the
// DevTools console: wx.setStorageSync('ce.dev.baseUrl', 'http://192.168.1.20:5000')
const DEV_KEYS = {baseUrl: 'ce.dev.baseUrl', sandboxUrl: 'ce.dev.sandboxUrl'}
let overrides = {}

function envVersion() {
  try {
    return wx.getAccountInfoSync().miniProgram.envVersion || 'release'
  } catch (e) {
    return 'release'
  }
}

function settings() {
  const env = envVersion()
  const current = Object.assign({}, config[env] || config.release)
  if (env === 'develop') {
    Object.keys(DEV_KEYS).forEach((name) => {
      const stored = wx.getStorageSync(DEV_KEYS[name])
      if (stored) current[name] = stored
    })
    Object.assign(current, overrides)
  }
  // A trial or release build never talks to a sandbox, whatever was configured.
  if (env !== 'develop') current.sandboxUrl = ''
  return current
}

/** Override settings for this run (tests, the contract test; development builds only); null forgets. */
function configure(values) {
  overrides = values ? Object.assign({}, overrides, values) : {}
}

function baseUrl() {
  return String(settings().baseUrl || '').replace(/\/+$/, '')
}

function sandboxUrl() {
  return String(settings().sandboxUrl || '').replace(/\/+$/, '')
}

module.exports = {envVersion, settings, configure, baseUrl, sandboxUrl}
