// Customer service on every page: the lines come from the backend (GET /api/v1/contact).
const accountApi = require('../../api/account')

let cached = null // one request per launch

Component({
  options: {styleIsolation: 'apply-shared'},
  data: {contact: null},
  lifetimes: {
    attached() {
      if (cached) {
        this.setData({contact: cached})
        return
      }
      accountApi.contact({silent: true}).then((contact) => {
        cached = contact
        this.setData({contact})
      }, () => {})
    },
  },
  methods: {
    call(event) {
      wx.makePhoneCall({phoneNumber: String(event.currentTarget.dataset.phone).replace(/[\s-]/g, ''), fail() {}})
    },
  },
})
