// A completion bar: `percent` (clamped to 0–100) and an optional label.
Component({
  options: {styleIsolation: 'apply-shared'},
  properties: {
    percent: {type: Number, value: 0},
    label: {type: String, value: ''},
  },
  data: {width: 0},
  observers: {
    percent(value) {
      const n = Number(value) || 0
      this.setData({width: Math.max(0, Math.min(100, Math.round(n)))})
    },
  },
})
