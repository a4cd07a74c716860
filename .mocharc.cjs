// Mocha adds files named on the command line to the configured spec instead of replacing
// it, so `npx mocha dist/test/x.test.js` would run the whole suite: name files, get files.
const named = process.argv.slice(2).filter((a) => !a.startsWith('-') && a.endsWith('.test.js'));
module.exports = {
  spec: named.length ? [] : ['dist/test/**/*.test.js'],
  timeout: 20000,
  reporter: 'spec',
  exit: true,
};
