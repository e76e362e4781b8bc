#!/usr/bin/env node
// The home page's announcements through the mini-program's own api/ and utils/ code over real HTTP:
//   node test/contract/announcements.js http://127.0.0.1:PORT
// Prints "RESULT {announcements, rendered}" (rendered: the headings the home page shows).
const {makeHttpWx} = require('./wx-http')

global.wx = makeHttpWx()
global.getCurrentPages = () => []
const env = require('../../utils/env')
env.configure({baseUrl: process.argv[2], sandboxUrl: ''})
const announcementsApi = require('../../api/announcements')
const announcements = require('../../utils/announcements')

async function main() {
  const list = await announcementsApi.current()
  const shown = await announcements.load()
  console.log('RESULT ' + JSON.stringify({announcements: list, rendered: shown.map((a) => a.heading)}))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
