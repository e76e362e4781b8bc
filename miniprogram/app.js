// The mini-program: pages under pages/, one request layer in utils/request.js, endpoints in api/.
const auth = require('./utils/auth')

App({
  onLaunch() {
    // A WeChat user already bound to an account is logged in without a tap.
    auth.ensureSignedIn()
  },
})
