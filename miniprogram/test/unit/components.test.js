const {load, render, flush, text} = require('../helpers/page')
const {envelope} = require('../helpers/wx')

describe('progress-bar', () => {
  const id = load('components', 'progress-bar')

  test('shows the percentage, clamped to 0–100', async () => {
    const bar = render(id, {percent: 42.4, label: '计划完成度'})
    await flush()
    expect(text(bar, '.progress-value')).toBe('42%')
    expect(bar.querySelector('.progress-fill').dom.getAttribute('style')).toContain('width: 42%')
    expect(bar.dom.textContent).toContain('计划完成度')
    bar.setData({width: 0})
    const over = render(id, {percent: 180})
    await flush()
    expect(text(over, '.progress-value')).toBe('100%')
  })
})

describe('question-modal', () => {
  const id = load('components', 'question-modal')
  const QUESTION = {id: 9, text: '专业技术人员每年须完成多少学时的公需科目？', options: ['10 学时', '20 学时', '30 学时']}

  test('hidden without a question', async () => {
    const modal = render(id, {question: null})
    await flush()
    expect(modal.querySelector('.mask')).toBeFalsy()
  })

  test('shows the question and reports the chosen option', async () => {
    const modal = render(id, {question: QUESTION, error: '回答错误，请回答新的问题（还可回答 2 次）'})
    const answers = []
    modal.addEventListener('answer', (event) => answers.push(event.detail))
    await flush()
    expect(text(modal, '#question-text')).toBe(QUESTION.text)
    const options = modal.querySelectorAll('.option')
    expect(options.map((o) => o.dom.textContent)).toEqual(QUESTION.options)
    expect(text(modal, '.dialog-error')).toContain('还可回答 2 次')
    options[2].dispatchEvent('tap')
    await flush()
    expect(answers).toEqual([{questionId: 9, choice: 2}])
  })

  test('no second answer while one is being checked', async () => {
    const modal = render(id, {question: QUESTION, busy: true})
    const answers = []
    modal.addEventListener('answer', (event) => answers.push(event.detail))
    await flush()
    modal.querySelectorAll('.option')[0].dispatchEvent('tap')
    await flush()
    expect(answers).toEqual([])
  })
})

describe('contact-block', () => {
  const id = load('components', 'contact-block')

  test('shows the backend\'s customer-service lines; a tap calls', async () => {
    wx.__route('GET', '/api/v1/contact', envelope({account_phone: '400-023-9229', tech_phone: '400-618-7500',
      account_key: '按 1 选择登录注册问题', tech_key: '按 2 选择售后服务', hours: '工作日 9:00-17:30'}))
    const block = render(id)
    await flush()
    expect(block.dom.textContent).toContain('账号注册、登录、证书咨询：400-023-9229，按 1 选择登录注册问题')
    expect(block.dom.textContent).toContain('工作日 9:00-17:30')
    block.querySelectorAll('.link')[1].dispatchEvent('tap')
    await flush()
    expect(wx.makePhoneCall).toHaveBeenCalledWith(expect.objectContaining({phoneNumber: '4006187500'}))
    render(id) // a second page: no second request
    await flush()
    expect(wx.request).toHaveBeenCalledTimes(1)
  })
})
