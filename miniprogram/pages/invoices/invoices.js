// 我的发票: per paid order the invoice state; apply ("apply later"), change the title once (the title form
// offers my saved titles to pick, and the titles saved in WeChat), open the PDF (view, print or forward from WeChat's document viewer), send it
// to an e-mail.
const invoicesApi = require('../../api/invoices')
const request = require('../../utils/request')

Page({
  data: {loading: true, orders: [], form: null, titles: [], notice: '', busy: ''},

  onShow() {
    return this.load()
  },

  async load() {
    try {
      this.setData({loading: false, orders: await invoicesApi.myInvoices()})
    } catch (error) {
      this.setData({loading: false, notice: error.message || ''})
    }
  },

  /** Open the title form for an order (action "apply" or "change"), then offer my saved titles in it. */
  async openForm(event) {
    const {no, action, kind} = event.currentTarget.dataset
    const group = kind === 'group'
    this.setData({form: {orderNo: no, action, titleType: group ? 'unit' : 'personal', name: '', taxNo: '', email: '',
      group}, titles: [], notice: ''})
    this.titlesAsked = (this.titlesAsked || 0) + 1
    const asked = this.titlesAsked
    let titles
    try {
      titles = await invoicesApi.savedTitles({silent: true})
    } catch (error) {
      return // the form works without them
    }
    if (asked !== this.titlesAsked || !this.data.form) return // closed, or another form opened meanwhile
    // A group order's invoice goes to a unit: only unit titles can be used there.
    const usable = titles.filter((t) => !group || t.title_type === 'unit')
    this.setData({titles: usable.map((t) => Object.assign({key: [t.title_type, t.name, t.tax_no || ''].join('|')}, t))})
  },

  /** Fill the form with a saved title (an e-mail already typed stays when the title has none). */
  pickTitle(event) {
    const title = this.data.titles[Number(event.currentTarget.dataset.index)]
    if (!title || !this.data.form) return
    this.setData({'form.titleType': title.title_type, 'form.name': title.name, 'form.taxNo': title.tax_no || '',
      'form.email': title.email || this.data.form.email})
  },

  /** Fill the form with a title the learner keeps in WeChat (wx.chooseInvoiceTitle); a group order's invoice
   * goes to a unit, so only a unit's title fits there. */
  chooseWechatTitle() {
    const form = this.data.form
    if (!form) return
    wx.chooseInvoiceTitle({
      success: (res) => {
        if (!this.data.form || this.data.form.orderNo !== form.orderNo) return // closed meanwhile
        const unit = String(res.type) === '0'
        if (form.group && !unit) {
          this.setData({notice: '团体订单的发票只能开给单位，请选择单位抬头'})
          return
        }
        this.setData({notice: '', 'form.titleType': unit ? 'unit' : 'personal', 'form.name': res.title || '',
          'form.taxNo': unit ? (res.taxNumber || '') : ''})
      },
      fail: (res) => {
        if (/cancel/.test((res && res.errMsg) || '')) return
        this.setData({notice: '无法读取微信中的发票抬头，请直接填写'})
      },
    })
  },

  closeForm() {
    this.setData({form: null, titles: []})
  },

  onType(event) {
    this.setData({'form.titleType': event.detail.value})
  },

  onInput(event) {
    this.setData({['form.' + event.currentTarget.dataset.field]: event.detail.value})
  },

  async submit() {
    const form = this.data.form
    if (!form || this.data.busy) return
    const title = {title_type: form.titleType, name: form.name}
    if (form.titleType === 'unit') title.tax_no = form.taxNo
    if (form.email) title.email = form.email
    this.setData({busy: form.orderNo, notice: ''})
    try {
      const call = form.action === 'apply' ? invoicesApi.applyInvoice : invoicesApi.changeTitle
      await call(form.orderNo, title)
      this.setData({form: null, titles: []})
      wx.showToast({title: form.action === 'apply' ? '已提交申请' : '已提交修改', icon: 'success'})
      await this.load()
    } catch (error) {
      this.setData({notice: error.message || '提交失败，请稍后重试'})
    } finally {
      this.setData({busy: ''})
    }
  },

  async open(event) {
    const url = event.currentTarget.dataset.url
    if (!url || this.data.busy) return
    this.setData({busy: url})
    wx.showLoading({title: '正在打开发票', mask: true})
    try {
      const filePath = await invoicesApi.downloadInvoice(url)
      await new Promise((resolve, reject) => wx.openDocument({filePath, fileType: 'pdf', showMenu: true,
        success: resolve, fail: reject}))
    } catch (error) {
      if (!(error instanceof request.ApiError)) wx.showToast({title: '无法打开发票文件，请稍后重试', icon: 'none'})
    } finally {
      wx.hideLoading()
      this.setData({busy: ''})
    }
  },

  async mail(event) {
    const id = event.currentTarget.dataset.id
    const answer = await new Promise((resolve) => wx.showModal({title: '发送到邮箱', editable: true,
      placeholderText: '电子邮箱', success: resolve, fail: () => resolve({confirm: false})}))
    if (!answer.confirm || !answer.content) return
    try {
      await invoicesApi.mailInvoice(id, answer.content.trim())
      wx.showToast({title: '已发送', icon: 'success'})
    } catch (error) {
      this.setData({notice: error.message || '发送失败'})
    }
  },
})
