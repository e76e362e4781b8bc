// Before each test file: a fresh `wx`, and the globals WeChat gives a mini-program.
const {makeWx} = require('./wx')

global.wx = makeWx()
global.getCurrentPages = jest.fn(() => [])
global.App = (options) => { global.__app = options }
global.getApp = () => global.__app || {}

// miniprogram-simulate only knows Component: a Page becomes a Component whose methods are the
// page's functions (lifecycle included), which the tests call as WeChat would (onLoad(query), ...).
global.Page = (options) => {
  const methods = {}
  Object.keys(options).forEach((key) => {
    if (typeof options[key] === 'function') methods[key] = options[key]
  })
  global.Component({data: options.data || {}, methods, options: {styleIsolation: 'apply-shared'}})
}
