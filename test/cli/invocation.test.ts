// The commands the CLI suggests start yi the way the user did and name paths from the user's folder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { userCwd, yiCommand } from '../../src/cli/invocation.js';
import { shellPath, shellQuoted } from '../../src/report/shell.js';

test('npm start and npx give `npx yi`; a yi link on the PATH gives `yi`; else node and the script', () => {
  assert.equal(yiCommand({ npm_command: 'start', npm_lifecycle_event: 'start' }, ['/usr/bin/node', '/p/dist/src/cli/yi.js'], '/p'), 'npx yi');
  assert.equal(yiCommand({ npm_command: 'exec' }, ['/usr/bin/node', '/p/node_modules/.bin/yi'], '/p'), 'npx yi');
  assert.equal(yiCommand({}, ['/usr/bin/node', '/usr/local/bin/yi'], '/home/u'), 'yi');
  assert.equal(yiCommand({}, ['/usr/bin/node', '/p/dist/src/cli/yi.js'], '/p'), 'node dist/src/cli/yi.js');
  assert.equal(yiCommand({}, ['/usr/bin/node', '/p/dist/src/cli/yi.js'], '/elsewhere'), 'node /p/dist/src/cli/yi.js');
});

test('npm keeps the caller\'s folder in INIT_CWD', () => {
  assert.equal(userCwd({ INIT_CWD: '/home/u/proj/sub' }), '/home/u/proj/sub');
  assert.equal(userCwd({}), process.cwd());
});

test('paths: relative inside the folder, absolute outside it, quoted when the shell would split them', () => {
  assert.equal(shellPath('/p/runs/a/train/model', '/p'), 'runs/a/train/model');
  assert.equal(shellPath('/tmp/x/model', '/p'), '/tmp/x/model');
  assert.equal(shellPath('/p/my runs/$HOME', '/p'), '"my runs/\\$HOME"');
  assert.equal(shellQuoted('say "hi" `now`'), '"say \\"hi\\" \\`now\\`"');
});
