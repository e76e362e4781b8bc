jest.mock('../../api/units')
jest.mock('../../utils/auth')
const unitsApi = require('../../api/units')
const auth = require('../../utils/auth')
const {load, render, flush, text} = require('../helpers/page')

const id = load('pages', 'unit-dashboard')
const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear()
const learner = (over) => Object.assign({name: '郑明', id_masked: '5001**********7657', seat: 'paid', seat_text: '已开通',
  state: 'certified', state_text: '已发证', hours: 30, required: 30, courses_done: 10, cert_number: 'CE2026-7K3M9QX2P',
  cert_date: '2026-03-02'}, over)
const summary = {total: 2, paid: 1, not_started: 1, learning: 0, completed: 0, certified: 1}

beforeEach(() => {
  auth.ensureSignedIn.mockResolvedValue(true)
  unitsApi.myUnits.mockResolvedValue([{id: 7, name: '重庆市某某局'}])
})

test('shows the unit\'s learners of this year, then filters and searches', async () => {
  unitsApi.unitLearners.mockResolvedValue({total: 2, summary, learners: [learner(),
    learner({name: '周敏', seat: 'none', seat_text: '未购买', state: 'not_started', state_text: '未开始', hours: 0,
      courses_done: 0, cert_number: '', cert_date: ''})]})
  const page = render(id)
  await page.instance.onLoad({})
  await flush()
  expect(unitsApi.unitLearners).toHaveBeenCalledWith(7, {year, status: 'all', q: '', page: 1})
  expect(text(page, '#unit-name')).toBe('重庆市某某局')
  expect(text(page, '#summary')).toContain('共 2 人 · 已开通 1')
  const cards = page.querySelector('#learners').dom.textContent
  expect(cards).toContain('郑明 5001**********7657')
  expect(cards).toContain('证书 CE2026-7K3M9QX2P · 2026-03-02')
  expect(cards).toContain('未购买 · 未开始 · 学时 0/30')

  unitsApi.unitLearners.mockResolvedValue({total: 1, summary, learners: [learner()]})
  await page.instance.pickFilter({detail: {value: '5'}})
  expect(unitsApi.unitLearners).toHaveBeenLastCalledWith(7, {year, status: 'certified', q: '', page: 1})
  page.instance.typeQuery({detail: {value: ' 郑 '}})
  await page.instance.search()
  await flush()
  expect(unitsApi.unitLearners).toHaveBeenLastCalledWith(7, {year, status: 'certified', q: '郑', page: 1})
  expect(text(page, '#summary')).toContain('符合条件 1 人')
  await page.instance.pickYear({detail: {value: '1'}})
  expect(unitsApi.unitLearners).toHaveBeenLastCalledWith(7, {year: year - 1, status: 'certified', q: '郑', page: 1})
})

test('loads the next page on scroll while there are more', async () => {
  const first = Array.from({length: 50}, (_, i) => learner({name: '学员' + i, id_masked: 'm' + i}))
  unitsApi.unitLearners.mockResolvedValueOnce({total: 51, summary, learners: first})
  const page = render(id)
  await page.instance.onLoad({id: '7'})
  unitsApi.unitLearners.mockResolvedValueOnce({total: 51, summary, learners: [learner({name: '学员50', id_masked: 'x'})]})
  await page.instance.onReachBottom()
  await flush()
  expect(unitsApi.unitLearners).toHaveBeenLastCalledWith(7, {year, status: 'all', q: '', page: 2})
  expect(page.instance.data.learners.length).toBe(51)
  expect(page.instance.data.more).toBe(false)
  await page.instance.onReachBottom()
  expect(unitsApi.unitLearners).toHaveBeenCalledTimes(2)
})

test('tells someone who is no unit\'s contact', async () => {
  unitsApi.myUnits.mockResolvedValue([])
  const page = render(id)
  await page.instance.onLoad({})
  await flush()
  expect(text(page, '#no-units')).toBe('您还不是任何单位已审核的经办人')
  expect(unitsApi.unitLearners).not.toHaveBeenCalled()
})
