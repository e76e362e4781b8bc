// The anti-idle question: a modal over the player with one button per option. The page pauses the
// video while it shows and sends the choice to the server (which alone knows the answer).
Component({
  options: {styleIsolation: 'apply-shared'},
  properties: {
    question: {type: Object, value: null}, // {id, text, options: [text]}
    error: {type: String, value: ''},
    busy: {type: Boolean, value: false},
  },
  methods: {
    choose(event) {
      if (this.data.busy || !this.data.question) return
      const choice = Number(event.currentTarget.dataset.index)
      this.triggerEvent('answer', {questionId: this.data.question.id, choice})
    },
    noop() {},
  },
})
