// The mini-program's shape: every page in app.json is a folder of four same-named files whose
// template compiles with WeChat's own WXML compiler, and whose components exist.
const fs = require('fs')
const path = require('path')
const {load, render, flush, ROOT} = require('../helpers/page')

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'project.config.json'), 'utf8'))

test('a self-contained mini-program root', () => {
  for (const file of ['app.js', 'app.json', 'app.wxss', 'sitemap.json', 'project.config.json',
    'utils/request.js']) {
    expect(fs.existsSync(path.join(ROOT, file))).toBe(true)
  }
  expect(project.compileType).toBe('miniprogram')
  expect(project.packOptions.ignore.map((i) => i.value)).toEqual(expect.arrayContaining(['node_modules', 'test']))
  for (const tab of app.tabBar.list) expect(app.pages).toContain(tab.pagePath)
})

describe.each(app.pages)('%s', (route) => {
  const base = path.join(ROOT, route)

  test('is four same-named files, and its template compiles and renders', async () => {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(fs.existsSync(base + '.' + ext)).toBe(true)
    const json = JSON.parse(fs.readFileSync(base + '.json', 'utf8'))
    for (const used of Object.values(json.usingComponents || {})) {
      expect(fs.existsSync(path.join(ROOT, used + '.js'))).toBe(true)
    }
    const name = path.basename(route)
    const page = render(load('pages', name))
    await flush()
    expect(page.dom).toBeTruthy()
  })
})

test('at launch, a bound WeChat user is logged in silently', () => {
  jest.isolateModules(() => {
    const auth = require('../../utils/auth')
    const spy = jest.spyOn(auth, 'ensureSignedIn').mockResolvedValue(true)
    require('../../app.js')
    global.__app.onLaunch()
    expect(spy).toHaveBeenCalled()
  })
})
