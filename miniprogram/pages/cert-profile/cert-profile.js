// Before the first print: confirm name and ID as registered, and pick the unit (工作单位) or, when it
// is not listed, the district or county where the personnel file is kept.
const certsApi = require('../../api/certs')

Page({
  data: {loading: true, profile: null, mode: 'unit', query: '', units: [], unit: null, districts: [],
    districtIndex: -1, confirmed: false, errors: {}, formError: '', busy: false},

  onLoad(query) {
    this.projectId = Number(query.project_id)
    return this.load()
  },

  async load() {
    try {
      const [profile, districts] = await Promise.all([certsApi.certProfile(this.projectId), certsApi.districts()])
      const districtIndex = profile.district ? districts.findIndex((d) => d.code === profile.district.code) : -1
      this.setData({loading: false, profile, districts, districtIndex, unit: profile.unit,
        mode: profile.district ? 'district' : 'unit', confirmed: profile.confirmed})
    } catch (error) {
      this.setData({loading: false, formError: error.message})
    }
  },

  async search(event) {
    const query = (event.detail.value || '').trim()
    this.setData({query})
    if (!query) {
      this.setData({units: []})
      return
    }
    try {
      const units = await certsApi.searchUnits(query)
      if (this.data.query === query) this.setData({units})
    } catch (error) {
      this.setData({units: []})
    }
  },

  pickUnit(event) {
    this.setData({unit: this.data.units[Number(event.currentTarget.dataset.index)], units: [], query: ''})
  },

  useDistrict() {
    this.setData({mode: 'district', unit: null})
  },

  useUnit() {
    this.setData({mode: 'unit', districtIndex: -1})
  },

  pickDistrict(event) {
    this.setData({districtIndex: Number(event.detail.value)})
  },

  confirmChange(event) {
    this.setData({confirmed: (event.detail.value || []).length > 0})
  },

  async save() {
    const {mode, unit, districts, districtIndex, confirmed} = this.data
    const errors = {}
    if (!confirmed) errors.confirm = '请确认姓名和身份证号无误（如有错误请联系客服更正）'
    if (mode === 'unit' && !unit) errors.unit_id = '请选择工作单位；单位不在列表中时，请选择档案所在区县'
    if (mode === 'district' && districtIndex < 0) errors.district_code = '请选择人事档案所在区县'
    if (Object.keys(errors).length) {
      this.setData({errors})
      return
    }
    this.setData({busy: true, errors: {}, formError: ''})
    try {
      await certsApi.saveCertProfile(this.projectId, mode === 'unit' ? {unitId: unit.id}
        : {districtCode: districts[districtIndex].code})
      wx.showToast({title: '已确认', icon: 'success'})
      wx.navigateBack()
    } catch (error) {
      this.setData({errors: error.fields, formError: error.message})
    } finally {
      this.setData({busy: false})
    }
  },
})
