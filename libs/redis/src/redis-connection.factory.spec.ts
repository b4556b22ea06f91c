import { EventEmitter } from 'node:events';
import Redis, { Cluster } from 'ioredis';
import { closeEveryNode } from './redis-connection.factory';

/** A node connection as the cluster's pool announces it ('+node'); only what closeEveryNode touches. */
function node(): Redis & { disconnect: jest.Mock } {
  return Object.assign(new EventEmitter(), { disconnect: jest.fn() }) as unknown as Redis & { disconnect: jest.Mock };
}

describe('closeEveryNode', () => {
  // lazyConnect: nothing is dialled; the pool's events are emitted by hand.
  const cluster = () => closeEveryNode(new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true }));

  it('closes, after quit, a node connection the pool no longer holds, and leaves an ended one alone', async () => {
    const redis = cluster();
    const [inPool, orphan, ended] = [node(), node(), node()];
    for (const each of [inPool, orphan, ended]) redis.emit('+node', each);
    ended.emit('end');
    await redis.quit();
    expect(orphan.disconnect).toHaveBeenCalled();
    expect(inPool.disconnect).toHaveBeenCalled();
    expect(ended.disconnect).not.toHaveBeenCalled();
  });

  it('closes them on disconnect(), not on disconnect(true) (a reconnect keeps its nodes)', () => {
    const redis = cluster();
    const open = node();
    redis.emit('+node', open);
    redis.disconnect(true);
    expect(open.disconnect).not.toHaveBeenCalled();
    redis.disconnect();
    expect(open.disconnect).toHaveBeenCalled();
  });

  it('does the same for a duplicate (BullMQ duplicates its connection for the worker)', async () => {
    const copy = cluster().duplicate();
    const orphan = node();
    copy.emit('+node', orphan);
    await copy.quit();
    expect(orphan.disconnect).toHaveBeenCalled();
    (copy as unknown as EventEmitter).removeAllListeners();
  });
});
