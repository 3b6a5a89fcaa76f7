// node run.js <parent-pid> <azurite|s3rver> [emulator arguments...]
// Starts the emulator in this process and exits when the parent (the test process that started it)
// is gone, so a test host that is killed or exits abruptly never leaves an emulator behind (nor,
// with EVALSIG_EMULATOR_DATA set, its data folder).
'use strict';
const [, , parentPid, kind, ...args] = process.argv;
const scripts = { azurite: 'azurite/dist/src/blob/main.js', s3rver: 's3rver/bin/s3rver.js' };
if (!scripts[kind]) {
  console.error('usage: node run.js <parent-pid> <azurite|s3rver> [arguments...]');
  process.exit(64);
}
const script = require.resolve(scripts[kind]);
setInterval(() => {
  try {
    process.kill(Number(parentPid), 0);
  } catch {
    if (process.env.EVALSIG_EMULATOR_DATA) {
      require('fs').rmSync(process.env.EVALSIG_EMULATOR_DATA, { recursive: true, force: true });
    }
    process.exit(0);
  }
}, 1000).unref();
process.argv = [process.argv[0], script, ...args];
require(script);
