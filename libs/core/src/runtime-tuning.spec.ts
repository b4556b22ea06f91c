import { setFlagsFromString } from 'node:v8';
import { loadConfig } from './config/app-config';
import { tuneRuntime } from './runtime-tuning';

jest.mock('node:v8', () => ({ setFlagsFromString: jest.fn() }));

describe('tuneRuntime', () => {
  const base = { ADMIN_PASSWORD: 'a long enough passphrase' };
  beforeEach(() => jest.mocked(setFlagsFromString).mockClear());

  it('fixes V8\'s old-generation growth at 40 % unless told otherwise', () => {
    tuneRuntime(loadConfig(base));
    expect(setFlagsFromString).toHaveBeenCalledWith('--heap-growing-percent=40');
    jest.mocked(setFlagsFromString).mockClear();
    tuneRuntime(loadConfig({ ...base, NODE_HEAP_GROWING_PERCENT: '120' }));
    expect(setFlagsFromString).toHaveBeenCalledWith('--heap-growing-percent=120');
  });

  it('turns allocation-site pretenuring off unless told to keep it', () => {
    tuneRuntime(loadConfig(base));
    expect(setFlagsFromString).toHaveBeenCalledWith('--no-allocation-site-pretenuring');
    jest.mocked(setFlagsFromString).mockClear();
    tuneRuntime(loadConfig({ ...base, NODE_PRETENURING: 'true' }));
    expect(setFlagsFromString).not.toHaveBeenCalledWith('--no-allocation-site-pretenuring');
  });

  it('leaves V8 alone at 0 and with pretenuring kept, and refuses nonsense', () => {
    tuneRuntime(loadConfig({ ...base, NODE_HEAP_GROWING_PERCENT: '0', NODE_PRETENURING: 'true' }));
    expect(setFlagsFromString).not.toHaveBeenCalled();
    expect(() => loadConfig({ ...base, NODE_HEAP_GROWING_PERCENT: '-5' })).toThrow(/NODE_HEAP_GROWING_PERCENT/);
  });
});
