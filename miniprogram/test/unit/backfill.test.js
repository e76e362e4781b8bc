// 补学 against answers shaped as the backend's (app/backfill/api.py, present.py, schemas.py): the years and
// my applications, the proof and letter steps, images, and exactly what reaches the backend.
const env = require('../../utils/env')
const request = require('../../utils/request')
const {envelope, fail, succeed} = require('../helpers/wx')
const {load, render, flush, text} = require('../helpers/page')

const id = load('pages', 'backfill')

const application = (over) => Object.assign({id: 41, project_id: 11, kind: 'proof', kind_text: '缴费凭证',
  state: 'pending', state_text: '待审核', order_no: 'OLD2021-0001', payer: '张三', paid_on: '2021-05-06',
  platform: '某继续教育网', submitted_at: '2026-11-27T02:00:00Z', due_on: '2026-12-02', review_days: 3, reason: null,
  decided_at: null, images: [{id: 7, url: '/backfill/images/7?sig=x', width: 800, height: 600}]}, over)
const year = (over) => Object.assign({project_id: 12, year: 2022, name: '2022年公需科目', credit_hours: 30,
  owned: false, can_apply: true, application: null}, over)
const REJECTED = application({id: 42, project_id: 10, state: 'rejected', state_text: '未通过',
  order_no: 'OLD2020-0002', payer: '张三', paid_on: '2020-04-01', platform: '某学习网',
  reason: '凭证信息与填写内容不一致；订单号与截图不符', decided_at: '2026-11-20T08:00:00Z'})
const YEARS = [year(), year({project_id: 11, year: 2021, name: '2021年公需科目', can_apply: false,
  application: application()}), year({project_id: 10, year: 2020, name: '2020年公需科目', application: REJECTED}),
year({project_id: 9, year: 2019, name: '2019年公需科目', owned: true, can_apply: false})]
const image = (n) => ({id: n, url: '/backfill/images/' + n + '?sig=s' + n, width: 1080, height: 1920})

let overview
let uploaded
beforeEach(() => {
  wx.__setEnv('develop') // subscribe-message templates are configured in development
  env.configure({sandboxUrl: '', templates: {backfill_decided: 'T-backfill'}})
  request.setToken('tok')
  overview = {years: YEARS, uploads: [], max_images: 5, review_days: 3, expected_due_on: '2026-12-02'}
  uploaded = 30
  wx.__route('GET', '/api/v1/contact', envelope({account_phone: '023-1', tech_phone: '023-2', hours: '9:00–17:00'}))
  wx.__route('GET', '/api/v1/backfill', () => envelope(overview))
  wx.uploadFile.mockImplementation(succeed(() => {
    uploaded += 1
    return {statusCode: 201, data: JSON.stringify({code: 'ok', message: '图片已上传', data: [image(uploaded)]})}
  }))
})

/** Every call to the backend but the customer-service lines: [method, path, body]. */
function calls() {
  return wx.request.mock.calls.map(([o]) => [o.method, o.url.replace(env.baseUrl(), ''), o.data])
    .filter(([, path]) => path !== '/api/v1/contact')
}

async function open(query) {
  const page = render(id)
  page.instance.onLoad(query || {})
  await page.instance.load()
  return page
}

const texts = (page, selector) => page.querySelectorAll(selector).map((n) => n.dom.textContent.replace(/\s+/g, ' ')
  .trim())
const input = (page, selector, value) => page.querySelector(selector).dispatchEvent('input', {detail: {value}})

test('the years open to back-fill, each with what I may do or where my application stands', async () => {
  const page = await open()
  expect(text(page, '.hd-desc')).toContain('审核一般需要 3 个工作日（今天提交预计 2026-12-02 前）')
  expect(texts(page, '#years .year')).toEqual([
    '2022年公需科目申请补学',
    '2021年公需科目已提交，预计 2026-12-02 前审核完毕待审核',
    '2020年公需科目未通过原因：凭证信息与填写内容不一致；订单号与截图不符未通过',
    '2019年公需科目已开通'])
  for (const closed of ['#year-2021', '#year-2019']) {
    page.querySelector(closed).dispatchEvent('tap')
    await flush()
    expect(page.querySelector('#kind')).toBeFalsy()
  }
  expect(calls()).toEqual([['GET', '/api/v1/backfill', undefined]])
})

test('nothing to back-fill, or the overview refused: said so', async () => {
  overview.years = []
  const page = await open()
  expect(text(page, '#no-years')).toBe('暂无可补学的年度')
  wx.__route('GET', '/api/v1/backfill', envelope(null, {status: 429, code: 'rate_limited',
    message: '操作过于频繁，请 1 分钟后再试'}))
  const refused = await open()
  expect(text(refused, '#notice')).toBe('操作过于频繁，请 1 分钟后再试')
  expect(refused.querySelector('#no-years')).toBeFalsy()
})

test('proof: the fields, two screenshots uploaded, then the application sent after asking for the message',
  async () => {
    const page = await open()
    page.querySelector('#year-2022').dispatchEvent('tap')
    await flush()
    expect(text(page, '.cells-title')).toBe('2022年公需科目 · 申请方式')
    expect(page.querySelector('#proof-fields')).toBeTruthy()
    expect(text(page, '#images-title')).toBe('图片（0/5，JPEG/PNG，每张不超过 10 MB）')
    page.querySelector('#submit').dispatchEvent('tap') // no image yet: nothing sent
    await flush()
    expect(text(page, '#error')).toBe('请先添加图片')

    input(page, '#f-order_no', 'MP2015-778899')
    input(page, '#f-payer', '小程序学员')
    input(page, '#f-platform', '某继续教育网')
    page.querySelector('#f-paid_on').dispatchEvent('change', {detail: {value: '2015-09-01'}})
    await flush()
    expect(text(page, '#paid-on')).toBe('2015-09-01')

    wx.chooseMedia.mockImplementation(succeed({tempFiles: [{tempFilePath: 'wxfile://tmp/a.jpg'},
      {tempFilePath: 'wxfile://tmp/b.png'}]}))
    page.querySelector('#add-images').dispatchEvent('tap')
    await flush(12)
    expect(wx.chooseMedia.mock.calls[0][0]).toMatchObject({count: 5, mediaType: ['image']})
    expect(wx.uploadFile.mock.calls.map(([o]) => [o.url, o.filePath, o.name, o.formData, o.header.Authorization]))
      .toEqual([['http://127.0.0.1:5000/api/v1/backfill/uploads', 'wxfile://tmp/a.jpg', 'file', {kind: 'proof'},
        'Bearer tok'], ['http://127.0.0.1:5000/api/v1/backfill/uploads', 'wxfile://tmp/b.png', 'file',
        {kind: 'proof'}, 'Bearer tok']])
    expect(text(page, '#images-title')).toBe('图片（2/5，JPEG/PNG，每张不超过 10 MB）')
    expect(texts(page, '.thumb')).toEqual(['第 1 张删除', '第 2 张删除'])
    expect(text(page, '#error')).toBe(null)

    wx.__route('POST', '/api/v1/wechat/mini/subscriptions', envelope({remaining: {}}))
    const sent = application({id: 50, project_id: 12, order_no: 'MP2015-778899', due_on: '2026-12-03'})
    wx.__route('POST', '/api/v1/backfill/applications', envelope(sent, {status: 201, message: '申请已提交，请等待审核'}))
    overview = Object.assign({}, overview, {years: [year({can_apply: false, application: sent})].concat(
      YEARS.slice(1)), expected_due_on: '2026-12-03'})
    page.querySelector('#submit').dispatchEvent('tap')
    await flush(12)
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['T-backfill'])
    expect(calls().slice(1)).toEqual([
      ['POST', '/api/v1/wechat/mini/subscriptions', {accepted: ['backfill_decided']}],
      ['POST', '/api/v1/backfill/applications', {project_id: 12, kind: 'proof', image_ids: [31, 32],
        order_no: 'MP2015-778899', payer: '小程序学员', paid_on: '2015-09-01', platform: '某继续教育网'}],
      ['GET', '/api/v1/backfill', undefined]])
    expect(wx.showToast).toHaveBeenCalledWith({title: '申请已提交', icon: 'success'})
    expect(page.querySelector('#kind')).toBeFalsy()
    expect(texts(page, '#year-2022')).toEqual(['2022年公需科目已提交，预计 2026-12-03 前审核完毕待审核'])
  })

test('letter: the pre-filled letter opens with the token; only the kind and the images are sent', async () => {
  overview.uploads = [image(21)] // uploaded earlier, not sent yet
  const page = await open()
  page.querySelector('#year-2022').dispatchEvent('tap')
  await flush()
  page.querySelector('#kind').dispatchEvent('change', {detail: {value: 'letter'}})
  await flush()
  expect(page.querySelector('#proof-fields')).toBeFalsy()
  page.querySelector('#open-letter').dispatchEvent('tap')
  await flush(12)
  const download = wx.downloadFile.mock.calls[0][0]
  expect([download.url, download.header.Authorization]).toEqual(['http://127.0.0.1:5000/api/v1/backfill/letters/12',
    'Bearer tok'])
  expect(wx.openDocument.mock.calls[0][0]).toMatchObject({filePath: 'wxfile://tmp/certificate.pdf', fileType: 'pdf',
    showMenu: true})
  expect(wx.hideLoading).toHaveBeenCalledTimes(1)

  page.querySelector('#add-images').dispatchEvent('tap')
  await flush(12)
  expect(wx.chooseMedia.mock.calls[0][0].count).toBe(4)
  expect(wx.uploadFile.mock.calls[0][0].formData).toEqual({kind: 'letter'})
  wx.requestSubscribeMessage.mockImplementation(succeed({'T-backfill': 'reject'}))
  wx.__route('POST', '/api/v1/backfill/applications', envelope(application({project_id: 12, kind: 'letter'}),
    {status: 201}))
  page.querySelector('#submit').dispatchEvent('tap')
  await flush(12)
  expect(calls().slice(1, 2)).toEqual([['POST', '/api/v1/backfill/applications',
    {project_id: 12, kind: 'letter', image_ids: [21, 31]}]])
})

test('a letter that cannot be made, or a viewer that cannot open it, says why', async () => {
  const page = await open()
  page.querySelector('#year-2022').dispatchEvent('tap')
  await flush()
  page.querySelector('#kind').dispatchEvent('change', {detail: {value: 'letter'}})
  await flush()
  wx.downloadFile.mockImplementation(succeed({statusCode: 404, data: JSON.stringify({code: 'not_found',
    message: '该年度不能申请补学', data: null})}))
  page.querySelector('#open-letter').dispatchEvent('tap')
  await flush(12)
  expect(text(page, '#error')).toBe('该年度不能申请补学')
  expect(wx.openDocument).not.toHaveBeenCalled()
  wx.downloadFile.mockImplementation(succeed({statusCode: 200, tempFilePath: 'wxfile://tmp/letter.pdf'}))
  wx.openDocument.mockImplementation(fail('openDocument:fail filetype not supported'))
  page.querySelector('#open-letter').dispatchEvent('tap')
  await flush(12)
  expect(text(page, '#error')).toBe('无法打开承诺书，请稍后重试')
  expect(page.instance.data.busy).toBe('')
})

test('a rejected year opens with the last answers to correct; the backend\'s refusal is shown', async () => {
  overview.uploads = [image(25)]
  const page = await open()
  page.querySelector('#year-2020').dispatchEvent('tap')
  await flush()
  expect(page.instance.data.form).toEqual({order_no: 'OLD2020-0002', payer: '张三', paid_on: '2020-04-01',
    platform: '某学习网'})
  expect(text(page, '#paid-on')).toBe('2020-04-01')
  input(page, '#f-payer', '')
  await flush()
  const message = '缴费凭证信息有误：请填写付款人'
  wx.__route('POST', '/api/v1/backfill/applications', envelope({fields: {payer: '请填写付款人'}}, {status: 422,
    code: 'invalid_input', message}))
  page.querySelector('#submit').dispatchEvent('tap')
  await flush(12)
  expect(calls().filter(([method]) => method === 'POST').slice(-1)).toEqual([['POST', '/api/v1/backfill/applications',
    {project_id: 10, kind: 'proof', image_ids: [25], order_no: 'OLD2020-0002', payer: '', paid_on: '2020-04-01',
      platform: '某学习网'}]])
  expect(text(page, '#error')).toBe(message)
  expect(wx.showToast).toHaveBeenCalledWith({title: message, icon: 'none', duration: 2500})
  expect(text(page, '.cells-title')).toBe('2020年公需科目 · 申请方式')
  expect(page.instance.data.busy).toBe('')
})

test('images: a refused file says why, a cancelled pick uploads nothing, a removed one goes; five are the most',
  async () => {
    overview.uploads = [image(21), image(22), image(23), image(24)]
    const page = await open()
    page.querySelector('#year-2022').dispatchEvent('tap')
    await flush()
    wx.uploadFile.mockImplementation(succeed({statusCode: 415, data: JSON.stringify({code: 'unsupported_media',
      message: '只能上传 JPEG、PNG 图片（iPhone 的 HEIC 照片请截图后上传）', data: null})}))
    page.querySelector('#add-images').dispatchEvent('tap')
    await flush(12)
    expect(text(page, '#error')).toBe('只能上传 JPEG、PNG 图片（iPhone 的 HEIC 照片请截图后上传）')
    expect(text(page, '#images-title')).toBe('图片（4/5，JPEG/PNG，每张不超过 10 MB）')

    wx.chooseMedia.mockImplementation(fail('chooseMedia:fail cancel'))
    wx.uploadFile.mockClear()
    page.querySelector('#add-images').dispatchEvent('tap')
    await flush(12)
    expect(wx.uploadFile).not.toHaveBeenCalled()

    wx.__route('DELETE', '/api/v1/backfill/uploads/22', envelope(Object.assign({}, overview,
      {uploads: [image(21), image(23), image(24)]}), {message: '已删除'}))
    page.querySelector('#remove-22').dispatchEvent('tap')
    await flush()
    expect(calls().slice(-1)).toEqual([['DELETE', '/api/v1/backfill/uploads/22', undefined]])
    expect(text(page, '#images-title')).toBe('图片（3/5，JPEG/PNG，每张不超过 10 MB）')

    overview.uploads = [21, 22, 23, 24, 25].map(image)
    await page.instance.load()
    expect(text(page, '#images-title')).toBe('图片（5/5，JPEG/PNG，每张不超过 10 MB）')
    expect(page.querySelector('#add-images')).toBeFalsy()
  })

test('a link to one year opens its form once; coming back from the album keeps what was typed', async () => {
  const page = await open({project_id: '12'})
  expect(text(page, '.cells-title')).toBe('2022年公需科目 · 申请方式')
  input(page, '#f-payer', '小程序学员')
  await flush()
  await page.instance.onShow()
  await flush()
  expect(page.instance.data.form).toEqual({payer: '小程序学员'})

  const closed = await open({project_id: '11'}) // pending: no form
  expect(closed.querySelector('#kind')).toBeFalsy()
  expect(texts(closed, '#years .year').length).toBe(4)
})
