// Per-environment settings, chosen by wx.getAccountInfoSync().miniProgram.envVersion.
//
// develop: WeChat DevTools against `scripts/dev` on this computer (plain HTTP: tick 不校验合法域名).
//   `sandboxUrl` is the WeChat sandbox that `scripts/dev` starts: wx.login codes, payments and
//   subscribe-message grants go through it, because real WeChat knows nothing of a local backend.
// trial / release: the HTTPS host, which must be listed among the mini-program's request and
//   downloadFile 合法域名 in the WeChat admin console; never a sandbox.
//
// Subscribe-message template ids must equal the backend's WECHAT_SUBSCRIBE_IDS (the sandbox's ids
// in development).
const SANDBOX_TEMPLATES = {
  purchase_paid: 'TPLmjhLWn7qZzl-mCHMtA1LnVZSMa9o_uIW5SSLeoke',
  seat_granted: 'TPLvY00fbDRns-RNYZp8BLgZl8eJNo-emz077ZrWT-g',
  course_completed: 'TPL-Oj18luHc85ASr4md2KSJKNFeVsw9rvyCUKk9B9H',
  plan_completed: 'TPLQPbV3WpKGGWyaJZ8PQQlw5aBg_8yDNjTc6WyeCdk',
  certificate_ready: 'TPLlVLPAd5gPpzR2MsFRoxnumW0V9FysbOBs8cdFDxi',
  backfill_decided: 'TPLbF7kQ2xWm9RzT4nY6pHc3vJd8sLgA1eU5oKiN0Bq',
}

// Fill in before uploading a trial or release version (the same ids as WECHAT_SUBSCRIBE_IDS).
const PRODUCTION = {
  baseUrl: 'https://ce.example.com',
  sandboxUrl: '',
  templates: {},
}

module.exports = {
  develop: {
    baseUrl: 'http://127.0.0.1:5000',
    sandboxUrl: 'http://127.0.0.1:5001',
    templates: SANDBOX_TEMPLATES,
  },
  trial: PRODUCTION,
  release: PRODUCTION,
}
