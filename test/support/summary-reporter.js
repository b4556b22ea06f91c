/**
 * Prints the plain `N passed, N failed` line CI reads, and adds it to $TEST_SUMMARY_FILE when set,
 * so .ci/run can sum several jest runs (npm test, then test:cluster) and the steps before them.
 */
const { existsSync, readFileSync, writeFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    const file = process.env.TEST_SUMMARY_FILE;
    if (file) {
      const before = existsSync(file) && readFileSync(file, 'utf8').trim() ? JSON.parse(readFileSync(file, 'utf8')) : { passed: 0, failed: 0 };
      writeFileSync(file, JSON.stringify({ passed: before.passed + results.numPassedTests, failed: before.failed + failed }));
    }
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = SummaryReporter;
