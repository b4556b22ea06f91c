import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { imageMallocConf, imagePreload, productionNodeOptions } from '../bench/support';
import { ROOT, run } from './support/processes';
import { TestContext } from './support/test-context';
import { migrations } from '@stockroom/database';
import { LEASE_RELEASE_LUA } from '../libs/cache/src/lease-release.lua';
import { LOCK_ACQUIRE_LUA } from '../libs/lock/src/lock-acquire.lua';

interface Service {
  image?: string;
  environment?: Record<string, string>;
  env_file?: Array<{ path: string; required: boolean }>;
  networks?: { default?: { ipv4_address?: string } };
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  command?: string[];
  profiles?: string[];
}

type ComposeFile = { services: Record<string, Service>; networks: { default: { ipam: { config: Array<{ subnet: string }> } } } };

/** Compose's override rules, as far as our files use them: maps merge, lists and scalars replace, `!override` replaces a map. */
function withOverride(base: ComposeFile, overrideText: string): ComposeFile {
  const REPLACE = '$override';
  const override = parse(overrideText, {
    merge: true,
    customTags: [{ tag: '!override', collection: 'map', resolve: (map: { set(key: string, value: unknown): void }) => (map.set(REPLACE, true), map) } as never],
  }) as { services: Record<string, unknown> };
  const isMap = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);
  const merge = (into: unknown, from: unknown): unknown => {
    if (!isMap(from)) return from;
    const { [REPLACE]: replace, ...rest } = from;
    const out: Record<string, unknown> = replace || !isMap(into) ? {} : { ...into };
    for (const [key, value] of Object.entries(rest)) out[key] = merge(out[key], value);
    return out;
  };
  return { ...base, services: merge(base.services, override.services) as Record<string, Service> };
}

/**
 * What can be checked of the deployment without a Docker engine: nginx's own syntax check of the
 * proxy config (Debian's nginx, as CI installs it), and the compose file's promises read from it.
 */
describe('Deployment files (docker-compose.yml, deploy/, Dockerfile)', () => {
  // Compose applies YAML merge keys (`<<: *anchor`), so the test reads the file the same way.
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
  const { services } = compose;

  it('the proxy config passes `nginx -t` and keeps /metrics internal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-nginx-'));
    try {
      // The compose service's layout: the file is included in the http block of nginx's main config.
      const site = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8').replace('resolver 127.0.0.11', 'resolver 127.0.0.1');
      writeFileSync(join(dir, 'site.conf'), site);
      writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {} http { access_log off; include ${dir}/site.conf; }\n`);
      // /etc/hosts does not know `api`: nginx -t resolves proxy_pass hosts only when they are literal, which this config avoids.
      const output = execFileSync('nginx', ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(output).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8')).toMatch(/location = \/metrics \{\s*return 404;/);
  });

  it('pins every image to a version, and requires every password', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!service.image) continue;
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/:\d+\.\d+\.\d+(-[a-z]+)?$/) });
    }
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const variable of ['DB_PASSWORD', 'MYSQL_ROOT_PASSWORD', 'ADMIN_PASSWORD']) {
      expect(text).toMatch(new RegExp(`\\$\\{${variable}:\\?`));
      expect(text).not.toMatch(new RegExp(`\\$\\{${variable}:-`));
    }
  });

  it('trusts X-Forwarded-For from the proxy\'s pinned address only, on a pinned subnet', () => {
    const subnet = compose.networks.default.ipam.config[0].subnet;
    const proxy = services.proxy.networks?.default?.ipv4_address;
    expect(subnet).toBe('172.28.0.0/24');
    expect(proxy?.startsWith('172.28.0.')).toBe(true);
    expect(services.api.environment?.TRUST_PROXY).toBe(proxy);
  });

  it('lets .env set any variable, while the topology stays as composed', () => {
    for (const name of ['api', 'worker']) expect(services[name].env_file).toEqual([{ path: '.env', required: false }]);
    expect(services.api.environment).toMatchObject({ HOST: '0.0.0.0', PORT: '3000', DB_HOST: 'mysql', REDIS_URL: 'redis://redis:6379', WORKER_INLINE: 'false' });
  });

  it('the cluster override replaces the single Redis: nodes announced by name, formed before the API connects', () => {
    const merged = withOverride(compose, readFileSync(join(ROOT, 'deploy', 'compose.cluster.yml'), 'utf8'));
    const started = Object.entries(merged.services).filter(([, service]) => !service.profiles).map(([name]) => name);
    expect(started).not.toContain('redis');
    expect(started).toEqual(expect.arrayContaining(['api', 'worker', 'redis-node-1', 'redis-node-2', 'redis-node-3', 'redis-cluster-init']));
    expect(merged.services.api.depends_on).toEqual({ mysql: { condition: 'service_healthy' }, 'redis-cluster-init': { condition: 'service_completed_successfully' } });
    for (const name of ['api', 'worker']) {
      expect(merged.services[name].environment?.REDIS_CLUSTER_NODES).toBe('redis-node-1:6379,redis-node-2:6379,redis-node-3:6379');
      // The rest of the environment is the base file's (maps merge).
      expect(merged.services[name].environment?.DB_HOST).toBe('mysql');
    }
    for (const node of ['redis-node-1', 'redis-node-2', 'redis-node-3']) {
      const command = merged.services[node].command ?? [];
      expect(command[command.indexOf('--cluster-announce-hostname') + 1]).toBe(node);
      expect(command).toContain('--cluster-preferred-endpoint-type');
      expect(command).toContain('--appendonly');
      expect(merged.services[node].image).toMatch(/:\d+\.\d+\.\d+$/);
    }
    // Without the override nothing of the cluster starts, and the API waits for the single Redis.
    expect(Object.keys(services).filter((name) => name.startsWith('redis-'))).toEqual([]);
    expect(services.api.depends_on?.redis).toEqual({ condition: 'service_healthy' });
  });

  it('checks the container\'s liveness, not its readiness (a Redis blip must not mark serving replicas unhealthy)', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health\/live/);
    expect(dockerfile).not.toMatch(/HEALTHCHECK[\s\S]*\/health\/ready'/);
  });

  it('starts Node with the same flags in the image, in `npm start` and in bench:read', () => {
    const flags = productionNodeOptions();
    expect(flags).toEqual(['--max-semi-space-size=8']);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const script of ['start', 'start:worker']) expect(scripts[script]).toContain(`node ${flags.join(' ')} dist/apps/`);
  });

  it('preloads jemalloc in the image, from the path it links for any architecture', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(imagePreload()).toBe('/usr/local/lib/libjemalloc.so.2');
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends libjemalloc2/);
    expect(runtime).toContain(`ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc\\.so\\.2$')" ${imagePreload()}`);
    // Installed before the image drops to its unprivileged user.
    expect(runtime.indexOf('libjemalloc2')).toBeLessThan(runtime.indexOf('USER node'));
    // Freed pages go back after a second, and the benches start the API with the image's setting.
    expect(imageMallocConf()).toBe('dirty_decay_ms:1000');
  });

  it('the image\'s operator commands run from dist/ as the image runs them: migrate, revert, seed', async () => {
    // Built here as the image builds it: one webpack bundle, the Lua scripts inside it (nothing is read from disk beside it).
    execFileSync('npx', ['nest', 'build', 'cli'], { cwd: ROOT, stdio: 'ignore' });
    const bundle = readFileSync(join(ROOT, 'dist', 'apps', 'cli', 'main.js'), 'utf8');
    for (const script of [LEASE_RELEASE_LUA, LOCK_ACQUIRE_LUA]) expect(bundle).toContain(script.split('\n').find((line) => line.includes('redis.call')));
    const context = await TestContext.create();
    const cli = (...args: string[]) =>
      run(spawn(process.execPath, ['dist/apps/cli/main.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...context.env() }, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const migrated = await cli('migrate');
      expect([migrated.code, migrated.stdout]).toEqual([0, `applied: ${migrations.map((migration) => migration.name).join(', ')}\n`]);
      expect((await cli('migrate')).stdout).toBe('nothing to apply\n');
      expect((await cli('revert')).code).toBe(0);
      expect((await cli('migrate')).stdout).toBe(`applied: ${migrations[migrations.length - 1].name}\n`);
      const seeded = await cli('seed', '--count', '5');
      expect([seeded.code, seeded.stdout]).toEqual([0, expect.stringContaining('inserted 5 products')]);
      expect(Number((await context.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM stock_movements'))[0].n)).toBe(5);
      const unknown = await cli('drop-everything');
      expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('usage: node dist/apps/cli/main.js <command>')]);
    } finally {
      await context.dispose();
    }
  });
});
