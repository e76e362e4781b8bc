// Display helpers: money in fen, times in Asia/Shanghai, durations.
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000

function pad(n) {
  return (n < 10 ? '0' : '') + n
}

/** 6000 → "60.00" */
function yuan(fen) {
  const value = Math.round(Number(fen) || 0)
  return Math.floor(value / 100) + '.' + pad(value % 100)
}

/** An API time ("2026-03-01T02:03:04Z", UTC) as Beijing time "2026-03-01 10:03". */
function shanghaiTime(iso) {
  if (!iso) return ''
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return ''
  const d = new Date(t + SHANGHAI_OFFSET_MS)
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
    pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes())
}

/** 75 → "01:15" */
function clock(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return (h ? h + ':' : '') + pad(m) + ':' + pad(s % 60)
}

/** The current year in Beijing time. */
function shanghaiYear(now) {
  return new Date((now || Date.now()) + SHANGHAI_OFFSET_MS).getUTCFullYear()
}

const CHAPTER_STATES = {new: '未学习', started: '学习中', complete: '已完成'}

module.exports = {yuan, shanghaiTime, clock, shanghaiYear, CHAPTER_STATES}
