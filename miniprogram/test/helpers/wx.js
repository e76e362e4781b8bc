// A `wx` for unit tests: every API the mini-program uses, as jest mocks with WeChat's callback
// shape (success/fail/complete, called asynchronously). Tests change an API's answer with
// wx.<api>.mockImplementation(succeed({...})) or fail('...'), and the backend with wx.__route().
function later(fn) {
  Promise.resolve().then(fn)
}

/** An implementation that succeeds with `result` (an object, or a function of the options). */
function succeed(result) {
  return (opts = {}) => later(() => {
    const res = Object.assign({errMsg: 'ok'}, typeof result === 'function' ? result(opts) : result)
    if (opts.success) opts.success(res)
    if (opts.complete) opts.complete(res)
  })
}

/** An implementation that fails with `errMsg`. */
function fail(errMsg) {
  return (opts = {}) => later(() => {
    const res = {errMsg}
    if (opts.fail) opts.fail(res)
    if (opts.complete) opts.complete(res)
  })
}

function makeWx() {
  const storage = new Map()
  const routes = []
  const videos = {}
  const state = {env: 'release'}

  /** What the backend answers: wx.__route('POST', '/api/v1/orders', (opts) => ({statusCode, data})). */
  function route(method, path, answer) {
    routes.unshift({method, path, answer})
  }

  function requestImpl(opts) {
    const url = new URL(opts.url)
    const method = (opts.method || 'GET').toUpperCase()
    const found = routes.find((r) => r.method === method && (r.path === url.pathname || r.path === opts.url))
    if (!found) return fail('request:fail no route for ' + method + ' ' + opts.url)(opts)
    const answer = typeof found.answer === 'function' ? found.answer(opts, url) : found.answer
    if (answer && answer.networkError) return fail('request:fail ' + answer.networkError)(opts)
    return succeed({statusCode: answer.statusCode || 200, data: answer.data, header: {}})(opts)
  }

  return {
    __state: state,
    __storage: storage,
    __route: route,
    __routes: routes,
    __videos: videos,
    __setEnv: (env) => { state.env = env },

    getAccountInfoSync: jest.fn(() => ({miniProgram: {appId: 'touristappid', envVersion: state.env}})),
    getStorageSync: jest.fn((key) => (storage.has(key) ? storage.get(key) : '')),
    setStorageSync: jest.fn((key, value) => { storage.set(key, value) }),
    removeStorageSync: jest.fn((key) => { storage.delete(key) }),

    request: jest.fn(requestImpl),
    downloadFile: jest.fn(succeed({statusCode: 200, tempFilePath: 'wxfile://tmp/certificate.pdf'})),
    openDocument: jest.fn(succeed({})),
    uploadFile: jest.fn(fail('uploadFile:fail no route')),
    chooseMessageFile: jest.fn(succeed({tempFiles: [{path: 'wxfile://tmp/list.xlsx', name: 'list.xlsx', size: 9000}]})),
    chooseMedia: jest.fn(succeed({type: 'image', tempFiles: [{tempFilePath: 'wxfile://tmp/proof-1.jpg', size: 90000,
      fileType: 'image'}]})),
    chooseInvoiceTitle: jest.fn(succeed({type: '0', title: '重庆市示例科技有限公司', taxNumber: '91500000MA5U00000W',
      companyAddress: '', telephone: '', bankName: '', bankAccount: ''})),
    getFileSystemManager: jest.fn(() => ({readFileSync: jest.fn(() => '')})),

    login: jest.fn(succeed({code: 'wx-code-1'})),
    requestPayment: jest.fn(succeed({})),
    requestSubscribeMessage: jest.fn(succeed((opts) => Object.fromEntries(opts.tmplIds.map((id) => [id, 'accept'])))),

    showToast: jest.fn(succeed({})),
    showModal: jest.fn(succeed({confirm: true, cancel: false})),
    showLoading: jest.fn(succeed({})),
    hideLoading: jest.fn(succeed({})),
    makePhoneCall: jest.fn(succeed({})),
    setNavigationBarTitle: jest.fn(succeed({})),
    stopPullDownRefresh: jest.fn(succeed({})),

    navigateTo: jest.fn(succeed({})),
    redirectTo: jest.fn(succeed({})),
    reLaunch: jest.fn(succeed({})),
    switchTab: jest.fn(succeed({})),
    navigateBack: jest.fn(succeed({})),

    createVideoContext: jest.fn((id) => {
      videos[id] = videos[id] || {play: jest.fn(), pause: jest.fn(), seek: jest.fn(), stop: jest.fn()}
      return videos[id]
    }),
  }
}

/** A backend envelope answer. */
function envelope(data, {status = 200, code = 'ok', message = 'ok'} = {}) {
  return {statusCode: status, data: {code, message, data}}
}

module.exports = {makeWx, succeed, fail, envelope}
