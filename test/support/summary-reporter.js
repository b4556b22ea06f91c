/**
 * Prints the plain `N passed, N failed` line CI reads, and records it in
 * $TEST_SUMMARY_FILE when set so .ci/run can add failures of the steps before jest.
 */
const { writeFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    if (process.env.TEST_SUMMARY_FILE) {
      writeFileSync(process.env.TEST_SUMMARY_FILE, JSON.stringify({ passed: results.numPassedTests, failed }));
    }
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = SummaryReporter;
