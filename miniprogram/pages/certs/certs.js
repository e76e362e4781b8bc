// My certificates: finished plans; confirm the printed data once, then print (issue) and open the
// sealed PDF (wx.downloadFile with the token, then wx.openDocument).
const certsApi = require('../../api/certs')
const request = require('../../utils/request')

Page({
  data: {loading: true, items: [], busy: 0},

  onShow() {
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    try {
      this.setData({loading: false, items: await certsApi.myCertificates()})
    } catch (error) {
      this.setData({loading: false})
    }
  },

  complete(event) {
    wx.navigateTo({url: '/pages/cert-profile/cert-profile?project_id=' + event.currentTarget.dataset.project})
  },

  /** Print: issue (first time) and open the PDF. */
  async print(event) {
    const projectId = Number(event.currentTarget.dataset.project)
    if (this.data.busy) return
    this.setData({busy: projectId})
    try {
      const cert = await certsApi.issueCertificate(projectId)
      await this.open(cert.pdf_url)
      this.load()
    } catch (error) {
      if (error.code === 'profile_required') this.complete(event)
    } finally {
      this.setData({busy: 0})
    }
  },

  async view(event) {
    const projectId = Number(event.currentTarget.dataset.project)
    const item = this.data.items.find((i) => i.project_id === projectId)
    if (!item || !item.certificate || this.data.busy) return
    this.setData({busy: projectId})
    try {
      await this.open(item.certificate.pdf_url)
    } catch (error) {
      // shown by the request layer or below
    } finally {
      this.setData({busy: 0})
    }
  },

  async open(pdfUrl) {
    wx.showLoading({title: '正在打开证书', mask: true})
    try {
      const filePath = await request.download(pdfUrl)
      await new Promise((resolve, reject) => wx.openDocument({filePath, fileType: 'pdf', showMenu: true,
        success: resolve, fail: reject}))
    } catch (error) {
      if (!(error instanceof request.ApiError)) wx.showToast({title: '无法打开证书文件，请稍后重试', icon: 'none'})
      throw error
    } finally {
      wx.hideLoading()
    }
  },
})
