// A daemon in its own process, so a test can kill -9 it. Runs the BUILT
// scheduler (npm run build first). argv[2]: JSON config overrides.
import { startDaemon } from '@godocker/scheduler';

const config = JSON.parse(process.argv[2] ?? '{}');
const daemon = await startDaemon({ config, logger: false });
process.stdout.write(`${JSON.stringify({ url: daemon.url, clusterId: daemon.clusterId })}\n`);
process.on('SIGTERM', () => {
  daemon.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
