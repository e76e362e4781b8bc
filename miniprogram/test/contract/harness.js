// What the contract scripts share: a check that throws with its detail, named steps printed as
// "ok - …" / "not ok - …" (with the last requests on failure), and the final "RESULT {json}" line.

function check(condition, message, detail) {
  if (!condition) throw new Error(message + (detail === undefined ? '' : ': ' + JSON.stringify(detail)))
}

/** A step runner for this phone: step(name, fn) resolves with fn's value, or prints why and throws. */
function stepper(phone) {
  return async function step(name, fn) {
    try {
      const value = await fn()
      console.log(`ok - ${name}`)
      return value
    } catch (error) {
      console.log(`not ok - ${name}: ${error && error.stack ? error.stack : JSON.stringify(error)}`)
      const last = phone.record.requests.slice(-4).map((r) => `${r.method} ${r.url} → ${r.status || r.error} ` +
        JSON.stringify(r.answer || '').slice(0, 300))
      console.log('# last requests:\n# ' + last.join('\n# '))
      throw error
    }
  }
}

/** Run main(): print its summary as "RESULT {json}" and exit 0, or exit 1 after a failed step. */
function finish(main) {
  main().then((summary) => {
    console.log('RESULT ' + JSON.stringify(summary))
    process.exit(0)
  }, () => process.exit(1))
}

module.exports = {check, stepper, finish}
