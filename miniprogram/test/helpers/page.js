// Load a page or component of this mini-program with miniprogram-simulate (the official WXML
// compiler checks the templates), render it, and wait for its promises.
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '../..')

// simulate runs a page's or component's file with require() and then deletes it from require.cache
// so the next load runs it again; jest's registry ignores that deletion, so a component shared by two
// pages would register only once. Run the file itself afresh each time instead; what it requires
// still comes from jest's registry, so jest.mock() applies.
const simulateUtils = require('miniprogram-simulate/src/utils')
simulateUtils.runJs = (filePath) => {
  const file = require.resolve(filePath)
  const source = fs.readFileSync(file, 'utf8')
  const module = {exports: {}}
  const localRequire = (request) => require(request.startsWith('.') ? path.resolve(path.dirname(file), request)
    : request)
  // eslint-disable-next-line no-new-func
  new Function('require', 'module', 'exports', '__filename', '__dirname', source)(
    localRequire, module, module.exports, file, path.dirname(file))
}

/** Register a page (pages/<name>/<name>) or component (components/...) once per test file. */
function load(kind, name) {
  return simulate.load(path.join(ROOT, kind, name, name), {rootPath: ROOT})
}

function render(id, props) {
  const comp = simulate.render(id, props)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

/** Let pending promises and wx callbacks run. */
async function flush(times = 8) {
  for (let i = 0; i < times; i += 1) await simulate.sleep(0)
}

function text(comp, selector) {
  const node = comp.querySelector(selector)
  return node ? node.dom.textContent.trim() : null
}

module.exports = {load, render, flush, text, simulate, ROOT}
