import { Logger } from '@nestjs/common';
import type { RedisClient } from './redis-connection.factory';
import { RedisCircuit } from './redis-circuit';

/** Only `status` is read by the circuit. */
const client = (status = 'ready') => ({ status }) as unknown as RedisClient;

describe('RedisCircuit.run', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers with the call while Redis answers', async () => {
    const circuit = new RedisCircuit(1_000);
    await expect(circuit.run(client(), () => Promise.resolve('value'), () => 'fallback')).resolves.toBe('value');
    expect(circuit.isDown).toBe(false);
  });

  it('takes the fallback when the call fails or throws, and then opens without calling again', async () => {
    const circuit = new RedisCircuit(60_000);
    const changes: boolean[] = [];
    circuit.onChange((up) => changes.push(up));
    await expect(circuit.run(client(), () => Promise.reject(new Error('Command timed out')), () => 'fallback')).resolves.toBe('fallback');
    expect(circuit.isDown).toBe(true);
    expect(changes).toEqual([false]);
    const call = jest.fn(() => Promise.resolve('value'));
    await expect(circuit.run(client(), call, () => 'open')).resolves.toBe('open');
    expect(call).not.toHaveBeenCalled();

    const thrower = new RedisCircuit(60_000);
    const throwing = () => {
      throw new Error('Connection is closed.');
    };
    await expect(thrower.run(client(), throwing, () => 'fallback')).resolves.toBe('fallback');
    expect(thrower.isDown).toBe(true);
  });

  it('sends one probe once the retry time has passed, and closes on its success', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(1_000);
    const circuit = new RedisCircuit(100);
    const changes: boolean[] = [];
    circuit.onChange((up) => changes.push(up));
    await circuit.run(client(), () => Promise.reject(new Error('down')), () => undefined);
    jest.spyOn(Date, 'now').mockReturnValue(1_200);
    let answer!: (value: string) => void;
    const probe = circuit.run(client(), () => new Promise<string>((resolve) => (answer = resolve)), () => 'fallback');
    // While the probe is out, everyone else takes the fallback at once.
    await expect(circuit.run(client(), () => Promise.resolve('second'), () => 'fallback')).resolves.toBe('fallback');
    answer('probed');
    await expect(probe).resolves.toBe('probed');
    expect(circuit.isDown).toBe(false);
    expect(changes).toEqual([false, true]);
    await expect(circuit.run(client(), () => Promise.resolve('value'), () => 'fallback')).resolves.toBe('value');
  });

  it('takes the fallback without calling while the connection is away', async () => {
    const circuit = new RedisCircuit(1_000);
    const call = jest.fn(() => Promise.resolve('value'));
    await expect(circuit.run(client('reconnecting'), call, () => 'fallback')).resolves.toBe('fallback');
    expect(call).not.toHaveBeenCalled();
  });

  it('always answers with a promise, rejected when the fallback throws', async () => {
    const circuit = new RedisCircuit(1_000);
    const refuse = (): string => {
      throw new Error('refused');
    };
    const away = circuit.run(client('end'), () => Promise.resolve('value'), refuse);
    expect(away).toBeInstanceOf(Promise);
    await expect(away).rejects.toThrow('refused');
    await expect(circuit.run(client(), () => Promise.reject(new Error('down')), refuse)).rejects.toThrow('refused');
  });
});
