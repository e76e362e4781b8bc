// My account: who is logged in (personal data masked), my orders and certificates, help, log out.
const accountApi = require('../../api/account')
const auth = require('../../utils/auth')
const nav = require('../../utils/nav')

Page({
  data: {loading: true, user: null},

  onShow() {
    return this.load()
  },

  async load() {
    if (!(await auth.ensureSignedIn())) {
      this.setData({loading: false, user: null})
      return
    }
    try {
      this.setData({loading: false, user: await accountApi.me()})
    } catch (error) {
      this.setData({loading: false, user: null})
    }
  },

  goTo(event) {
    nav.go(event.currentTarget.dataset.url)
  },

  login() {
    nav.toLogin('/pages/mine/mine')
  },

  logout() {
    wx.showModal({
      title: '退出登录',
      content: '退出后再次打开小程序将重新通过微信登录',
      success: async (res) => {
        if (!res.confirm) return
        await auth.logout()
        this.setData({user: null})
      },
    })
  },
})
