// A daemon in its own process, so a test can kill -9 it. Runs the BUILT
// scheduler (npm run build first). argv[2]: JSON config overrides.
import { startDaemon } from '@godocker/scheduler';
import { destination, pino } from 'pino';

const config = JSON.parse(process.argv[2] ?? '{}');
// GODOCKER_TEST_DAEMON_LOG=FILE: its log, for a test that reads what it said.
const log = process.env.GODOCKER_TEST_DAEMON_LOG;
const daemon = await startDaemon({
  config,
  logger: log ? pino({ level: 'info' }, destination({ dest: log, sync: true })) : false,
});
process.stdout.write(`${JSON.stringify({ url: daemon.url, clusterId: daemon.clusterId })}\n`);
process.on('SIGTERM', () => {
  daemon.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
