/** A loopback port that was free a moment ago, for a child process that must be told its port. */
export { freePort } from '@buildcluster/testkit/sockets';
