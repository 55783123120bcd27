import { describeDaemonE2E } from './daemon-e2e.suite.js';

describeDaemonE2E('local');
