import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * The node's two connections to the cluster's Redis: one for commands and publishing, one held
 * in subscriber mode. Commands fail at once while Redis is unreachable (no offline queue that
 * grows without bound): every caller has a local fallback, and Postgres stays the source of
 * truth. Both connections reconnect by themselves, at most every 2 s.
 */
export interface RedisLink {
  readonly commands: Redis;
  readonly subscriber: Redis;
  /** True while the command connection is up. */
  isReady(): boolean;
  /** `PING`, or a rejection when Redis does not answer within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** Called on every connection of the command link after a loss (not the first). */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

const retryStrategy = (times: number) => Math.min(times * 200, 2000);

export function openRedisLink(url: string, log: Logger): RedisLink {
  const options = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy,
    connectTimeout: 2000,
    lazyConnect: false,
  };
  const commands = new Redis(url, options);
  // The subscriber keeps its queue: SUBSCRIBE is replayed by ioredis on every reconnection.
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
  const reconnectListeners = new Set<() => void>();
  let lost = false;
  let warned = false;
  commands.on('ready', () => {
    if (lost) {
      lost = false;
      warned = false;
      log.info('redis is reachable again');
      for (const listener of reconnectListeners) {
        try {
          listener();
        } catch (error) {
          log.error('a redis reconnect listener failed', { error: (error as Error).message });
        }
      }
    }
  });
  const onError = (error: Error) => {
    if (!warned) log.warn('redis is unreachable', { error: error.message });
    warned = true;
  };
  commands.on('error', onError);
  subscriber.on('error', onError);
  commands.on('close', () => {
    lost = true;
  });
  return {
    commands,
    subscriber,
    isReady: () => commands.status === 'ready',
    async ping(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([commands.ping(), late]);
      } finally {
        clearTimeout(timer);
      }
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    async close() {
      reconnectListeners.clear();
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
