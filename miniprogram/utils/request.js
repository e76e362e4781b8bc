// The one network layer: every call to the backend goes through here.
//
// - base URL per environment (utils/env.js), `/api/v1` prefix;
// - `Authorization: Bearer <token>` when logged in;
// - the backend's envelope {code, message, data}: resolves with `data`, rejects with an ApiError;
// - login expired (401 `unauthorized`) is handled here alone: forget the token, go to the login page;
// - errors are shown as a toast in Chinese (the backend's own message) unless `silent` is set.
const env = require('./env')

const TOKEN_KEY = 'ce.token'
const LOGIN_PAGE = '/pages/login/login'
const NETWORK_MESSAGE = '网络异常，请检查网络后重试'
const EXPIRED_MESSAGE = '登录已过期，请重新登录'
const STATUS_MESSAGES = {
  401: EXPIRED_MESSAGE, 403: '没有权限进行此操作', 404: '请求的内容不存在', 409: '操作冲突，请刷新后重试',
  413: '提交的内容过大', 429: '操作过于频繁，请稍后再试', 502: '服务暂时不可用，请稍后重试',
}
let redirecting = false

class ApiError extends Error {
  constructor(message, {code = 'error', status = 0, data = null} = {}) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.status = status
    this.data = data
  }

  /** Per-field messages of a 422 (`data.fields`), or {}. */
  get fields() {
    return (this.data && this.data.fields) || {}
  }
}

function getToken() {
  return wx.getStorageSync(TOKEN_KEY) || ''
}

function setToken(token) {
  wx.setStorageSync(TOKEN_KEY, token)
}

function clearToken() {
  wx.removeStorageSync(TOKEN_KEY)
}

/** A backend path (such as a chapter's video_url) as a full URL. */
function absoluteUrl(path) {
  if (/^https?:\/\//.test(path)) return path
  return env.baseUrl() + (String(path).startsWith('/') ? '' : '/') + path
}

function headers(extra) {
  const out = Object.assign({'Content-Type': 'application/json', Accept: 'application/json'}, extra)
  const token = getToken()
  if (token) out.Authorization = 'Bearer ' + token
  return out
}

function toast(message) {
  wx.showToast({title: message, icon: 'none', duration: 2500})
}

function currentPageUrl() {
  if (typeof getCurrentPages !== 'function') return ''
  const pages = getCurrentPages()
  const page = pages[pages.length - 1]
  if (!page || !page.route) return ''
  const query = Object.keys(page.options || {}).map((k) => k + '=' + encodeURIComponent(page.options[k]))
  return '/' + page.route + (query.length ? '?' + query.join('&') : '')
}

/** The token ended (expired, logged out elsewhere, password changed): log in again, then come back. */
function loginExpired() {
  clearToken()
  const here = currentPageUrl()
  if (redirecting || here.startsWith(LOGIN_PAGE)) return
  redirecting = true
  const url = LOGIN_PAGE + (here ? '?redirect=' + encodeURIComponent(here) : '')
  wx.navigateTo({url, complete: () => { redirecting = false }})
}

function parseBody(data) {
  if (typeof data !== 'string') return data
  try {
    return JSON.parse(data)
  } catch (e) {
    return null
  }
}

/** Turn a wx.request/wx.downloadFile answer into data or an ApiError (and handle an ended login). */
function settle(res, opts) {
  const body = parseBody(res.data)
  const status = res.statusCode
  if (status < 400 && body && body.code === 'ok') return {data: body.data, message: body.message}
  const code = (body && body.code) || 'http_' + status
  const message = (body && body.message) || STATUS_MESSAGES[status] || '请求失败（' + status + '），请稍后重试'
  const error = new ApiError(message, {code, status, data: body ? body.data : null})
  if (code === 'unauthorized') {
    error.message = EXPIRED_MESSAGE
    loginExpired()
  }
  if (!opts.silent) toast(error.message)
  throw error
}

function networkError(err, opts) {
  const error = new ApiError(NETWORK_MESSAGE, {code: 'network_error', data: {errMsg: err && err.errMsg}})
  if (!opts.silent) toast(NETWORK_MESSAGE)
  return error
}

/**
 * Call the API: request('POST', '/orders', {project_id: 1}) resolves with the envelope's `data`.
 * opts: {silent: true} shows no toast; {full: true} resolves with {data, message}.
 */
function request(method, path, data, opts = {}) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: env.baseUrl() + '/api/v1' + path,
      method,
      data,
      header: headers(opts.header),
      timeout: opts.timeout || 15000,
      success(res) {
        try {
          const out = settle(res, opts)
          resolve(opts.full ? out : out.data)
        } catch (error) {
          reject(error)
        }
      },
      fail(err) {
        reject(networkError(err, opts))
      },
    })
  })
}

const get = (path, params, opts) => request('GET', path, params, opts)
const post = (path, body, opts) => request('POST', path, body || {}, opts)

/** Download a protected file (a certificate PDF) with the token; resolves with the temp file path. */
function download(path, opts = {}) {
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url: absoluteUrl(path),
      header: headers(),
      success(res) {
        if (res.statusCode === 200) {
          resolve(res.tempFilePath)
          return
        }
        // An error answer is the JSON envelope, written to the temp file: read it for the message.
        let text = res.data
        try {
          if (!text && res.tempFilePath) text = wx.getFileSystemManager().readFileSync(res.tempFilePath, 'utf8')
        } catch (e) {
          text = ''
        }
        try {
          settle({statusCode: res.statusCode, data: text}, opts)
        } catch (error) {
          reject(error)
        }
      },
      fail(err) {
        reject(networkError(err, opts))
      },
    })
  })
}

/**
 * Upload a file (multipart field `file`, with `formData`), e.g. an xlsx picked by wx.chooseMessageFile.
 * Resolves with the envelope's `data` (opts.full: {data, message, status}: 202 means "still working").
 */
function upload(path, filePath, formData, opts = {}) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: env.baseUrl() + '/api/v1' + path,
      filePath,
      name: 'file',
      formData: formData || {},
      header: (() => { const h = headers(opts.header); delete h['Content-Type']; return h })(),
      timeout: opts.timeout || 60000,
      success(res) {
        try {
          const out = settle(res, opts)
          resolve(opts.full ? Object.assign(out, {status: res.statusCode}) : out.data)
        } catch (error) {
          reject(error)
        }
      },
      fail(err) {
        reject(networkError(err, opts))
      },
    })
  })
}

module.exports = {
  ApiError, request, get, post, download, upload, absoluteUrl, getToken, setToken, clearToken,
  isLoggedIn: () => Boolean(getToken()), TOKEN_KEY, LOGIN_PAGE,
}
