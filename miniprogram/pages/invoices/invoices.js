// 我的发票: per paid order the invoice state; apply ("apply later"), change the title once, open the PDF
// (view, print or forward from WeChat's document viewer), send it to an e-mail.
const invoicesApi = require('../../api/invoices')
const request = require('../../utils/request')

Page({
  data: {loading: true, orders: [], form: null, notice: '', busy: ''},

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

  /** Open the title form for an order: action "apply" or "change". */
  openForm(event) {
    const {no, action, kind} = event.currentTarget.dataset
    this.setData({form: {orderNo: no, action, titleType: kind === 'group' ? 'unit' : 'personal', name: '',
      taxNo: '', email: '', group: kind === 'group'}, notice: ''})
  },

  closeForm() {
    this.setData({form: null})
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
      this.setData({form: null})
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
