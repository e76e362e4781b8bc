// Unit tests: jest + miniprogram-simulate in jsdom (the contract test, test/contract/run.js, runs on
// its own against a real backend: see tests/test_miniprogram_contract.py).
module.exports = {
  testEnvironment: 'jsdom',
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin'],
  testMatch: ['<rootDir>/test/unit/**/*.test.js'],
  setupFiles: ['<rootDir>/test/helpers/setup.js'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/reset.js'],
  clearMocks: true,
}
