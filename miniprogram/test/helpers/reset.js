// Before each test: every wx API back to its default answer, storage empty, development settings
// forgotten. (miniprogram-simulate merged our wx into its own: reset the same object.)
const {makeWx} = require('./wx')

beforeEach(() => {
  Object.assign(global.wx, makeWx())
  global.getCurrentPages = jest.fn(() => [])
  require('../../utils/env').configure(null)
})
