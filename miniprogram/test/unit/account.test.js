jest.mock('../../api/certs')
jest.mock('../../api/account')
jest.mock('../../utils/auth')
const certsApi = require('../../api/certs')
const accountApi = require('../../api/account')
const auth = require('../../utils/auth')
const request = require('../../utils/request')
const {ApiError} = request
const {fail} = require('../helpers/wx')
const {load, render, flush, text} = require('../helpers/page')

const certsPage = load('pages', 'certs')
const profilePage = load('pages', 'cert-profile')
const minePage = load('pages', 'mine')
const helpPage = load('pages', 'help')

const CERT = {number: 'CQ2026000123', status: 'valid', status_text: '有效',
  pdf_url: '/api/v1/certificates/CQ2026000123/pdf'}
const item = (over) => Object.assign({project_id: 1, project: '2026年公需科目', year: 2026, credit_hours: 30,
  earned_hours: 30, state: 'need_profile', state_text: '请先确认证书信息', certificate: null}, over)

beforeEach(() => {
  accountApi.contact.mockResolvedValue({account_phone: '1', tech_phone: '2', hours: 'h'})
})

test('certificates: each finished plan says what to do next', async () => {
  certsApi.myCertificates.mockResolvedValue([item(), item({project_id: 2, year: 2025, state: 'ready',
    state_text: '可打印证书'}), item({project_id: 3, state: 'issued', state_text: '已签发', certificate: CERT})])
  const page = render(certsPage)
  await page.instance.onShow()
  expect(page.querySelector('#cert-1').dom.textContent).toContain('完善证书信息')
  expect(page.querySelector('#cert-2').dom.textContent).toContain('打印证书')
  expect(page.querySelector('#cert-3').dom.textContent).toContain('证书编号 CQ2026000123')
  page.querySelector('#cert-1 .btn-mini').dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({url: '/pages/cert-profile/cert-profile?project_id=1'})
})

test('certificates: print issues the certificate and opens the sealed PDF with the token', async () => {
  request.setToken('tok')
  certsApi.myCertificates.mockResolvedValue([item({state: 'ready', state_text: '可打印证书'})])
  certsApi.issueCertificate.mockResolvedValue(CERT)
  const page = render(certsPage)
  await page.instance.onShow()
  page.querySelector('#cert-1 .btn-mini').dispatchEvent('tap')
  await flush(12)
  expect(certsApi.issueCertificate).toHaveBeenCalledWith(1)
  const download = wx.downloadFile.mock.calls[0][0]
  expect(download.url).toMatch(/\/api\/v1\/certificates\/CQ2026000123\/pdf$/)
  expect(download.header.Authorization).toBe('Bearer tok')
  expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({filePath: 'wxfile://tmp/certificate.pdf',
    fileType: 'pdf', showMenu: true}))
  expect(wx.hideLoading).toHaveBeenCalled()
})

test('certificates: a viewer that cannot open the file says so', async () => {
  certsApi.myCertificates.mockResolvedValue([item({state: 'issued', state_text: '已签发', certificate: CERT})])
  wx.openDocument.mockImplementation(fail('openDocument:fail filetype not supported'))
  const page = render(certsPage)
  await page.instance.onShow()
  page.querySelector('#cert-1 .btn-mini').dispatchEvent('tap')
  await flush(12)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({title: '无法打开证书文件，请稍后重试'}))
})

test('certificate data: confirm the name, pick the unit — or the district when it is not listed', async () => {
  certsApi.certProfile.mockResolvedValue({name: '张三', id_number: '5001**********7657', confirmed: false,
    unit: null, district: null, locked: false})
  certsApi.districts.mockResolvedValue([{code: '500101', name: '万州区'}, {code: '500103', name: '渝中区'}])
  certsApi.searchUnits.mockResolvedValue([{id: 4, name: '重庆市示例科技有限公司', district: '渝中区'}])
  certsApi.saveCertProfile.mockRejectedValueOnce(new ApiError('所选单位不存在，请重新选择', {code: 'invalid_input',
    status: 422, data: {fields: {unit_id: '所选单位不存在，请重新选择'}}}))
  const page = render(profilePage)
  await page.instance.onLoad({project_id: '1'})
  expect(text(page, '#name')).toBe('张三')

  page.instance.save()
  await flush()
  expect(text(page, '#e-confirm')).toContain('请确认姓名和身份证号无误')
  expect(text(page, '#e-unit_id')).toContain('请选择工作单位')

  page.instance.confirmChange({detail: {value: ['yes']}})
  await page.instance.search({detail: {value: '示例'}})
  expect(certsApi.searchUnits).toHaveBeenCalledWith('示例')
  page.querySelectorAll('.cell-access')[0].dispatchEvent('tap')
  await flush()
  expect(text(page, '#unit')).toBe('重庆市示例科技有限公司')
  await page.instance.save()
  expect(certsApi.saveCertProfile).toHaveBeenLastCalledWith(1, {unitId: 4})
  expect(text(page, '#e-unit_id')).toBe('所选单位不存在，请重新选择')

  page.querySelector('#use-district').dispatchEvent('tap')
  await flush()
  page.instance.pickDistrict({detail: {value: '1'}})
  await flush()
  expect(text(page, '#district')).toBe('渝中区')
  certsApi.saveCertProfile.mockResolvedValueOnce({confirmed: true})
  await page.instance.save()
  expect(certsApi.saveCertProfile).toHaveBeenLastCalledWith(1, {districtCode: '500103'})
  expect(wx.navigateBack).toHaveBeenCalled()
})

test('mine: my masked data; log out after confirming', async () => {
  auth.ensureSignedIn.mockResolvedValue(true)
  auth.logout.mockResolvedValue()
  accountApi.me.mockResolvedValue({id: 1, name: '张三', id_number: '5001**********7657', mobile: '138****0001'})
  const page = render(minePage)
  await page.instance.onShow()
  expect(text(page, '#user-name')).toBe('张三')
  expect(page.dom.textContent).toContain('138****0001')
  page.querySelector('#logout').dispatchEvent('tap')
  await flush()
  expect(auth.logout).toHaveBeenCalled()
  expect(page.querySelector('#login')).toBeTruthy()
})

test('help: answers open on tap; customer service on the page', async () => {
  const page = render(helpPage)
  await flush()
  expect(page.querySelectorAll('.faq-a')).toHaveLength(0)
  page.querySelectorAll('.faq')[2].dispatchEvent('tap')
  await flush()
  expect(text(page, '.faq-a')).toContain('防挂机')
  expect(page.querySelector('#online-service')).toBeTruthy()
  expect(page.dom.textContent).toContain('联系客服')
})
