import * as broker from '@buildcluster/broker';
import { testBrokerKit } from '@buildcluster/testkit/broker';

/** The test kit's broker start-up bound to the broker package (its source, under the "source" condition). */
export const { startTestBroker } = testBrokerKit(broker);
export type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;
