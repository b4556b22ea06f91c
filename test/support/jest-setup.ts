import { killStrays } from './processes';

// A test that fails before its own cleanup must not leave a server or worker running into the next file.
afterAll(killStrays);
