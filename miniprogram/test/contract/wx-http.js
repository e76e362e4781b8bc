// A `wx` for Node whose network APIs do real HTTP (Node's fetch), so the mini-program's own
// utils/request.js and api/*.js talk to a real backend. Everything else is the least a phone does:
// storage in memory, toasts and navigation recorded, modals confirmed.
const fs = require('fs')
const os = require('os')
const path = require('path')

function queryString(data) {
  if (!data || typeof data !== 'object') return ''
  const params = new URLSearchParams()
  Object.keys(data).forEach((k) => { if (data[k] !== undefined) params.append(k, String(data[k])) })
  const text = params.toString()
  return text ? '?' + text : ''
}

function makeHttpWx({log = () => {}} = {}) {
  const storage = new Map()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-mini-'))
  const record = {toasts: [], navigations: [], requests: []}
  let files = 0

  function callback(opts, ok, res) {
    if (ok && opts.success) opts.success(res)
    if (!ok && opts.fail) opts.fail(res)
    if (opts.complete) opts.complete(res)
  }

  /** wx.request: GET data goes to the query string, other methods send JSON; JSON answers are parsed. */
  function request(opts) {
    const method = (opts.method || 'GET').toUpperCase()
    const url = method === 'GET' ? opts.url + queryString(opts.data) : opts.url
    const init = {method, headers: Object.assign({}, opts.header), signal: AbortSignal.timeout(opts.timeout || 60000)}
    if (method !== 'GET' && opts.data !== undefined) {
      init.body = typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data)
    }
    const entry = {method, url, body: opts.data}
    record.requests.push(entry)
    fetch(url, init).then(async (resp) => {
      const text = await resp.text()
      let data = text
      try {
        data = JSON.parse(text)
      } catch (e) {
        // not JSON: wx.request hands over the text
      }
      entry.status = resp.status
      entry.answer = data
      log(method + ' ' + url + ' → ' + resp.status)
      callback(opts, true, {statusCode: resp.status, data, header: Object.fromEntries(resp.headers), errMsg: 'request:ok'})
    }, (err) => {
      entry.error = String(err)
      callback(opts, false, {errMsg: 'request:fail ' + err})
    })
    return {abort() {}}
  }

  /** wx.downloadFile: the body is written to a temporary file, as on a phone. */
  function downloadFile(opts) {
    fetch(opts.url, {headers: Object.assign({}, opts.header), signal: AbortSignal.timeout(60000)})
      .then(async (resp) => {
        const body = Buffer.from(await resp.arrayBuffer())
        files += 1
        const tempFilePath = path.join(tmp, 'download-' + files)
        fs.writeFileSync(tempFilePath, body)
        record.requests.push({method: 'GET', url: opts.url, status: resp.status, download: tempFilePath})
        callback(opts, true, {statusCode: resp.status, tempFilePath, errMsg: 'downloadFile:ok'})
      }, (err) => callback(opts, false, {errMsg: 'downloadFile:fail ' + err}))
  }

  /** wx.uploadFile: multipart/form-data with the file under `name` and the form fields. */
  function uploadFile(opts) {
    const form = new FormData()
    Object.keys(opts.formData || {}).forEach((k) => form.append(k, String(opts.formData[k])))
    form.append(opts.name, new Blob([fs.readFileSync(opts.filePath)]), path.basename(opts.filePath))
    const entry = {method: 'POST', url: opts.url, upload: opts.filePath}
    record.requests.push(entry)
    fetch(opts.url, {method: 'POST', headers: Object.assign({}, opts.header), body: form,
      signal: AbortSignal.timeout(opts.timeout || 60000)}).then(async (resp) => {
      const text = await resp.text()
      entry.status = resp.status
      entry.answer = text.slice(0, 300)
      callback(opts, true, {statusCode: resp.status, data: text, errMsg: 'uploadFile:ok'})
    }, (err) => callback(opts, false, {errMsg: 'uploadFile:fail ' + err}))
  }

  /** wx.chooseMessageFile: the files "in the chat" are those the test put in `messageFiles`. */
  function chooseMessageFile(opts) {
    const picked = api.messageFiles.splice(0, opts.count || 1)
    if (!picked.length) {
      setTimeout(() => callback(opts, false, {errMsg: 'chooseMessageFile:fail cancel'}), 0)
      return
    }
    const tempFiles = picked.map((file) => ({path: file, name: path.basename(file), size: fs.statSync(file).size,
      type: 'file'}))
    setTimeout(() => callback(opts, true, {tempFiles, errMsg: 'chooseMessageFile:ok'}), 0)
  }

  const succeed = (name, res) => (opts = {}) => {
    setTimeout(() => callback(opts, true, Object.assign({errMsg: name + ':ok'}, res)), 0)
  }

  const api = {
    record,
    tmp,
    messageFiles: [],
    request,
    downloadFile,
    uploadFile,
    chooseMessageFile,
    getFileSystemManager: () => ({readFileSync: (file, encoding) => fs.readFileSync(file, encoding)}),
    getAccountInfoSync: () => ({miniProgram: {appId: 'touristappid', envVersion: 'develop'}}),
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => { storage.set(key, value) },
    removeStorageSync: (key) => { storage.delete(key) },
    showToast: (opts) => { record.toasts.push(opts.title); log('toast: ' + opts.title) },
    showModal: succeed('showModal', {confirm: true, cancel: false}),
    showLoading() {},
    hideLoading() {},
    navigateTo: (opts) => { record.navigations.push(opts.url); callback(opts, true, {errMsg: 'navigateTo:ok'}) },
    redirectTo: (opts) => { record.navigations.push(opts.url); callback(opts, true, {errMsg: 'redirectTo:ok'}) },
    reLaunch: (opts) => { record.navigations.push(opts.url); callback(opts, true, {errMsg: 'reLaunch:ok'}) },
    switchTab: (opts) => { record.navigations.push(opts.url); callback(opts, true, {errMsg: 'switchTab:ok'}) },
    navigateBack: (opts = {}) => callback(opts, true, {errMsg: 'navigateBack:ok'}),
    // The sandbox stands in for these in a development build; a call here means the code took the wrong path.
    login: (opts) => callback(opts, false, {errMsg: 'login:fail not on a phone'}),
    requestPayment: (opts) => callback(opts, false, {errMsg: 'requestPayment:fail not on a phone'}),
    requestSubscribeMessage: (opts) => callback(opts, false, {errMsg: 'requestSubscribeMessage:fail not on a phone'}),
  }
  return api
}

module.exports = {makeHttpWx}
