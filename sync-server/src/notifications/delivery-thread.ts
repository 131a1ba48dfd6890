import { parentPort, workerData } from 'node:worker_threads';
import { createInlineDelivery, type DeliveryOptions } from './delivery.js';
import type { DeliveryReply, DeliveryRequest } from './delivery-threads.js';

/** A delivery thread (delivery-threads.ts): sends what the main thread hands it, answers each. */
if (parentPort === null) throw new Error('delivery-thread.ts runs as a worker thread');
const port = parentPort;
const delivery = createInlineDelivery(workerData as DeliveryOptions);

port.on('message', (request: DeliveryRequest) => {
  if (request.kind === 'close') {
    void delivery.close().then(() => port.postMessage({ id: request.id, value: 0 }));
    return;
  }
  const sending =
    request.kind === 'push'
      ? delivery.push(request.message)
      : delivery.email(request.message).then(() => 0);
  sending.then(
    (value) => port.postMessage({ id: request.id, value } satisfies DeliveryReply),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies DeliveryReply),
  );
});
