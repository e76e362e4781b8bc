// 补学: the earlier years open to back-fill with my applications' state; the form for one year (payment
// proof with screenshots, or the signed commitment letter), a rejected one corrected and sent again.
const backfillApi = require('../../api/backfill')
const backfill = require('../../utils/backfill')
const request = require('../../utils/request')
const subscribe = require('../../utils/subscribe')

Page({
  data: {loading: true, years: [], current: null, kind: 'proof', form: {}, images: [], maxImages: 5,
    reviewDays: 3, expectedDue: '', busy: '', error: '', notice: ''},

  onLoad(options) {
    this.wanted = Number(options && options.project_id) || 0
  },

  onShow() {
    this.load()
  },

  async load() {
    try {
      const data = await backfillApi.overview()
      const current = data.years.find((y) => y.project_id === this.wanted && y.can_apply) || null
      this.setData({loading: false, years: data.years, maxImages: data.max_images, reviewDays: data.review_days,
        expectedDue: data.expected_due_on, images: data.uploads, notice: ''})
      // The linked year opens once: coming back from the album or the letter must not reset what was typed.
      this.wanted = 0
      if (current) this.openYear(current)
    } catch (error) {
      this.setData({loading: false, notice: error.message})
    }
  },

  openYear(year) {
    const last = year.application
    const form = last ? {order_no: last.order_no, payer: last.payer, paid_on: last.paid_on || '',
      platform: last.platform} : {}
    this.setData({current: year, kind: last ? last.kind : 'proof', form, error: ''})
  },

  pickYear(event) {
    const year = this.data.years.find((y) => y.project_id === Number(event.currentTarget.dataset.id))
    if (year && year.can_apply) this.openYear(year)
  },

  closeForm() { this.setData({current: null, error: ''}) },
  pickKind(event) { this.setData({kind: event.detail.value}) },
  typeField(event) { this.setData({['form.' + event.currentTarget.dataset.field]: event.detail.value}) },
  pickDate(event) { this.setData({'form.paid_on': event.detail.value}) },

  async addImages() {
    const room = this.data.maxImages - this.data.images.length
    if (room <= 0 || this.data.busy) return
    const paths = await backfill.chooseImages(room)
    if (!paths.length) return
    this.setData({busy: 'upload', error: ''})
    try {
      const stored = await backfill.uploadAll(paths, this.data.kind)
      this.setData({images: this.data.images.concat(stored)})
    } catch (error) {
      this.setData({error: error.message})
    } finally {
      this.setData({busy: ''})
    }
  },

  async removeImage(event) {
    if (this.data.busy) return
    const id = Number(event.currentTarget.dataset.id)
    this.setData({busy: 'remove', error: ''})
    try {
      const data = await backfillApi.deleteUpload(id)
      this.setData({images: data.uploads})
    } catch (error) {
      this.setData({error: error.message})
    } finally {
      this.setData({busy: ''})
    }
  },

  /** The commitment letter pre-filled with my data, in WeChat's viewer (to print, or forward to a computer). */
  async openLetter() {
    if (this.data.busy || !this.data.current) return
    this.setData({busy: 'letter', error: ''})
    wx.showLoading({title: '正在打开承诺书', mask: true})
    try {
      const filePath = await backfillApi.downloadLetter(this.data.current.project_id)
      await new Promise((resolve, reject) => wx.openDocument({filePath, fileType: 'pdf', showMenu: true,
        success: resolve, fail: reject}))
    } catch (error) {
      this.setData({error: error instanceof request.ApiError ? error.message : '无法打开承诺书，请稍后重试'})
    } finally {
      wx.hideLoading()
      this.setData({busy: ''})
    }
  },

  async submit() {
    if (this.data.busy || !this.data.current) return
    if (!this.data.images.length) {
      this.setData({error: '请先添加图片'})
      return
    }
    this.setData({busy: 'submit', error: ''})
    try {
      const body = backfill.applicationBody(this.data.current.project_id, this.data.kind, this.data.form,
        this.data.images.map((i) => i.id))
      await subscribe.askFor('backfillSent')
      const sent = await backfillApi.apply(body)
      wx.showToast({title: '申请已提交', icon: 'success'})
      this.setData({current: null, images: [], form: {}, expectedDue: sent.due_on})
      await this.load()
    } catch (error) {
      this.setData({error: error.message})
    } finally {
      this.setData({busy: ''})
    }
  },
})
