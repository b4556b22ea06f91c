import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { Writable } from 'node:stream';
import { CommandDeadlines } from './command-deadlines';
import type { ResolvedRedisOptions } from './redis-options';

/** Where the connections go, every field given (resolveRedisOptions fills the defaults). */
export type RedisTarget = Pick<ResolvedRedisOptions, 'url' | 'clusterNodes' | 'sentinels' | 'sentinelName'>;

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, so an operator can tell the connections apart. */
  name: string;
  /** For one-shot probes: fail at once instead of reconnecting. */
  failFast?: boolean;
  /** Reject a command that has no reply after this long (the request then falls back). */
  commandTimeoutMs?: number;
  /**
   * Commands issued within one turn of the event loop go out in one write (see coalesceWrites):
   * concurrent requests' reads share a syscall and a round trip.
   */
  writeCoalescing?: boolean;
  /** For BullMQ: commands wait for a reconnect rather than fail (its blocking reads require it). */
  queue?: boolean;
}

/**
 * The single entry point for Redis connections: a Cluster from `clusterNodes`, a Sentinel-managed
 * primary from `sentinels`, else the standalone `url` (REDIS_CLUSTER_NODES, REDIS_SENTINELS,
 * REDIS_URL in the app) — chosen by the settings alone.
 */
export function createRedisConnection(target: RedisTarget, options: RedisConnectionOptions): RedisClient {
  const common: RedisOptions = {
    connectionName: `stockroom:${options.name}`,
    connectTimeout: 5_000,
    // A request must not hang on a dead Redis: fail the command and let the caller fall back.
    maxRetriesPerRequest: options.queue ? null : options.failFast ? 0 : 2,
    retryStrategy: options.failFast ? () => null : (times) => Math.min(times * 100, 2_000),
    lazyConnect: options.failFast ?? false,
    // commandTimeoutMs is kept by CommandDeadlines (one timer per connection), not ioredis' commandTimeout (one per command).
    // How long a dropped socket may take to close before it is destroyed. ioredis waits 2 s by
    // default, also for a socket that had already closed (a connection closed while it was
    // reconnecting), which kept a process shutting down during a Redis outage alive that long.
    disconnectTimeout: 200,
  };
  const { clusterNodes, sentinels, sentinelName, url } = target;
  if (clusterNodes.length > 0) {
    const cluster = new Cluster(clusterNodes.map((node) => ({ host: node.host, port: node.port })), {
      redisOptions: common,
      lazyConnect: common.lazyConnect,
      clusterRetryStrategy: options.failFast ? () => null : (times) => Math.min(times * 100, 2_000),
    });
    cluster.on('+node', (node: Redis) => prepare(node, options));
    return closeEveryNode(cluster);
  }
  const client = sentinels.length > 0 ? new Redis({ ...common, sentinels: sentinels.map((s) => ({ host: s.host, port: s.port })), name: sentinelName }) : new Redis(url, common);
  prepare(client, options);
  return client;
}

/** A standalone connection, or one node's connection in a cluster: its deadline and its writes. */
function prepare(client: Redis, options: RedisConnectionOptions): void {
  if (options.commandTimeoutMs !== undefined) CommandDeadlines.enforce(client, options.commandTimeoutMs);
  if (options.writeCoalescing) coalesceWrites(client);
}

/**
 * Makes a closed cluster close every node connection it opened, its duplicates too (BullMQ's
 * worker duplicates its connection). ioredis 5's pool drops a node by its address when that node's
 * connection ends: a cluster connected again while its old node connections were still closing
 * (BullMQ does so to its blocking connection as a worker closes on a cluster) has the new
 * connection to that address dropped from the pool when the old one ends, and `quit()` /
 * `disconnect()` never close it. That socket kept a process that closed its app alive (ioredis 6
 * checks the connection's identity; this does it here).
 */
export function closeEveryNode(cluster: Cluster): Cluster {
  const open = new Set<Redis>();
  cluster.on('+node', (node: Redis) => {
    open.add(node);
    node.once('end', () => open.delete(node));
  });
  const closeAll = () => {
    for (const node of open) node.disconnect();
  };
  const { quit, disconnect, duplicate } = cluster;
  cluster.quit = function (this: Cluster, ...args: Parameters<Cluster['quit']>) {
    const done = quit.apply(this, args);
    // After QUIT's replies (a pooled connection ends cleanly first), and before the caller's own
    // continuation; the caller's promise is quit's own, so a failed QUIT is not reported twice.
    done.then(closeAll, closeAll);
    return done;
  } as Cluster['quit'];
  cluster.disconnect = function (this: Cluster, reconnect?: boolean) {
    disconnect.call(this, reconnect);
    if (!reconnect) closeAll();
  };
  cluster.duplicate = function (this: Cluster, ...args: Parameters<Cluster['duplicate']>) {
    return closeEveryNode(duplicate.apply(this, args));
  };
  return cluster;
}

type CoalescedSocket = Writable & { [COALESCED]?: true };
const COALESCED = Symbol('stockroom.coalescedWrites');

/**
 * Every command written to `client`'s socket during one turn of the event loop leaves in one
 * write, at setImmediate: the socket is corked by the turn's first command and uncorked once the
 * turn's I/O callbacks have run. That is what ioredis' `enableAutoPipelining` does, without its
 * per-batch Pipeline objects and promises, which cost about as much CPU as the rest of a cached
 * read (9 µs of client CPU per GET against 4-5.6 µs this way: `npm run bench:redis-client`).
 * Replies, timeouts and reconnects stay ioredis' own: only when bytes reach the kernel changes.
 */
export function coalesceWrites(client: Redis): void {
  const patch = () => {
    const socket = (client as unknown as { stream?: CoalescedSocket }).stream;
    if (!socket || socket[COALESCED]) return;
    socket[COALESCED] = true;
    const write = socket.write;
    const flush = () => socket.uncork();
    socket.write = function (this: CoalescedSocket, ...args: Parameters<Writable['write']>) {
      if (this.writableCorked === 0) {
        this.cork();
        setImmediate(flush);
      }
      return write.apply(this, args);
    } as Writable['write'];
  };
  // A reconnect brings a new socket; commands are only written to one that has connected.
  client.on('connect', patch);
  patch();
}

/**
 * Sends now what `client` holds back for the end of this turn (`coalesceWrites`). For commands
 * issued at the turn's end (the check phase, as `TurnGets` does): their own write would
 * otherwise be held until the next turn's end.
 */
export function sendWritesNow(client: Redis): void {
  const socket = (client as unknown as { stream?: CoalescedSocket }).stream;
  if (socket?.[COALESCED] && socket.writableCorked > 0) socket.uncork();
}

/** Where the configuration points, for messages. */
export function describeRedisTarget(target: RedisTarget): string {
  const { clusterNodes, sentinels, sentinelName, url } = target;
  if (clusterNodes.length > 0) return `cluster ${clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (sentinels.length > 0) return `sentinel ${sentinelName}@${sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 6379}`;
}

/**
 * SUBSCRIBE on `client` without breaking its handshake. ioredis writes SUBSCRIBE (a command
 * allowed while Redis loads) as soon as the socket connects, before its own ready check; the
 * connection is then in subscriber mode, the check's INFO is refused, and ioredis drops and
 * rebuilds the connection, while the first SUBSCRIBE's reply has already told the caller it is
 * subscribed (a loaded CI saw a process deaf to its channel). During that handshake (`connect`)
 * this waits for `ready`; in any other state ioredis queues the command until ready, or fails it.
 */
export function subscribeWhenReady(client: RedisClient, channel: string): Promise<unknown> {
  if (client.status !== 'connect') return client.subscribe(channel);
  return new Promise((resolve, reject) => {
    const next = () => {
      client.off('ready', next);
      client.off('close', next);
      subscribeWhenReady(client, channel).then(resolve, reject);
    };
    client.on('ready', next);
    client.on('close', next);
  });
}
