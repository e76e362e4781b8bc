jest.mock('../../api/catalog')
jest.mock('../../api/learning')
jest.mock('../../utils/auth')
jest.mock('../../utils/subscribe')
const catalogApi = require('../../api/catalog')
const learningApi = require('../../api/learning')
const auth = require('../../utils/auth')
const subscribe = require('../../utils/subscribe')
const {load, render, flush, text} = require('../helpers/page')

const trainingPage = load('pages', 'training')
const planPage = load('pages', 'plan')
const coursePage = load('pages', 'course')

const PROGRESS = {earned_hours: 8, credit_hours: 30, courses_done: 1, courses_total: 12, completion: 27,
  complete: false}
const course = (i) => ({id: i, title: '课程' + i, lecturer: '讲师', credit_hours: 2, chapters_total: 2,
  chapters_done: i === 1 ? 2 : 0, complete: i === 1})

beforeEach(() => {
  auth.ensureSignedIn.mockResolvedValue(true)
  subscribe.askFor.mockResolvedValue([])
  catalogApi.project.mockResolvedValue({id: 1, name: '2026年公需科目', year: 2026})
})

test('my training: each plan with requirement and completion', async () => {
  learningApi.myPlans.mockResolvedValue([{id: 1, name: '2026年公需科目', progress: PROGRESS}])
  const page = render(trainingPage)
  await page.instance.onShow()
  const plans = page.querySelector('#plans').dom.textContent
  expect(plans).toContain('学分要求 30 学时 · 已获 8 学时 · 课程 1/12')
  expect(plans).toContain('27%')
  page.querySelector('.card').dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({url: '/pages/plan/plan?id=1'})
})

test('my training: a visitor is asked to log in; none bought yet says how to get one', async () => {
  auth.ensureSignedIn.mockResolvedValue(false)
  const page = render(trainingPage)
  await page.instance.onShow()
  expect(page.querySelector('#login')).toBeTruthy()
  auth.ensureSignedIn.mockResolvedValue(true)
  learningApi.myPlans.mockResolvedValue([])
  await page.instance.onShow()
  expect(page.querySelector('#no-plans')).toBeTruthy()
})

test('a plan: requirement, completion and the courses ten at a time', async () => {
  learningApi.planCourses.mockImplementation(async (id, page) => ({
    items: Array.from({length: page === 1 ? 10 : 2}, (_, i) => course((page - 1) * 10 + i + 1)),
    page, per_page: 10, total: 12, pages: 2, progress: PROGRESS}))
  const page = render(planPage)
  page.instance.onLoad({id: '1'})
  await page.instance.onShow()
  expect(text(page, '#credit-hours')).toBe('30 学时')
  expect(text(page, '#earned')).toBe('8 学时')
  expect(page.querySelector('#requirement').dom.textContent).toContain('27%')
  expect(page.querySelectorAll('#courses .cell')).toHaveLength(10)
  expect(page.querySelector('#courses').dom.textContent).toContain('已完成')
  await page.instance.onReachBottom()
  expect(learningApi.planCourses).toHaveBeenLastCalledWith(1, 2, 10)
  expect(page.querySelectorAll('#courses .cell')).toHaveLength(12)
  expect(page.querySelector('#more')).toBeFalsy()
  await page.instance.onReachBottom()
  expect(learningApi.planCourses).toHaveBeenCalledTimes(2)
  page.querySelectorAll('#courses .cell')[11].dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({url: '/pages/course/course?id=12'})
})

test('a course: its cover and summary when it has them', async () => {
  learningApi.course.mockResolvedValue({id: 4, title: '数字政府', lecturer: '周教授', credit_hours: 2, complete: false,
    summary: '数字政府的框架、案例和方法。', cover_url: '/media/covers/4?v=a1b2c3', chapters: []})
  const page = render(coursePage)
  page.instance.onLoad({id: '4'})
  await page.instance.onShow()
  expect(page.querySelector('#course-cover')).toBeDefined()
  expect(page.instance.data.coverUrl).toBe(require('../../utils/env').baseUrl() + '/media/covers/4?v=a1b2c3')
  expect(text(page, '#course-summary')).toBe('数字政府的框架、案例和方法。')
  learningApi.course.mockResolvedValue({id: 5, title: '无封面', lecturer: '王', credit_hours: 2, complete: false,
    summary: '', cover_url: null, chapters: []})
  const bare = render(coursePage)
  bare.instance.onLoad({id: '5'})
  await bare.instance.onShow()
  expect(bare.querySelector('#course-cover')).toBeUndefined()
  expect(bare.querySelector('#course-summary')).toBeUndefined()
})

test('a course: chapters with their state; the first chapter started asks for messages, once', async () => {
  learningApi.course.mockResolvedValue({id: 3, title: '数字经济', lecturer: '陈明', credit_hours: 8, complete: false,
    chapters: [
      {id: 31, title: '第1讲', duration: 12, watched_seconds: 12, state: 'complete', last_position: 0},
      {id: 32, title: '第2讲', duration: 20, watched_seconds: 5, state: 'started', last_position: 5},
      {id: 33, title: '第3讲', duration: 75, watched_seconds: 0, state: 'new', last_position: 0}]})
  const page = render(coursePage)
  page.instance.onLoad({id: '3'})
  await page.instance.onShow()
  const rows = page.querySelectorAll('.chapter').map((c) => c.dom.textContent)
  expect(rows[0]).toContain('已完成')
  expect(rows[1]).toContain('学习中')
  expect(rows[1]).toContain('25%')
  expect(rows[2]).toContain('未学习')
  expect(rows[2]).toContain('01:15')
  page.querySelector('#chapter-32').dispatchEvent('tap')
  await flush()
  page.querySelector('#chapter-33').dispatchEvent('tap')
  await flush()
  expect(subscribe.askFor).toHaveBeenCalledTimes(1)
  expect(subscribe.askFor).toHaveBeenCalledWith('courseStart')
  expect(wx.navigateTo.mock.calls[0][0].url).toBe('/pages/player/player?chapter_id=32&course_id=3&title=' +
    encodeURIComponent('数字经济 · 第2讲'))
})
