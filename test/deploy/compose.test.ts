/** docker-compose.yml as the README documents it, read without Docker: settings, waiting, health, k3s. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../src/config/index.js';
import { packageRoot } from '../../src/paths.js';

interface Service {
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  user?: string;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = yaml.load(readFileSync(join(packageRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};

describe('docker-compose.yml', () => {
  it('passes every Compass setting through from .env to the bot and the worker', () => {
    for (const name of ['bot', 'worker']) {
      const environment = compose.services[name]!.environment!;
      for (const variable of Object.values(ENV_NAMES)) {
        // KUBECONFIG is the mounted folder's file; KUBECONFIG_DIR and KUBECONFIG_NAME choose it from .env.
        const passedThrough =
          variable === 'KUBECONFIG'
            ? /\$\{KUBECONFIG_NAME:-[^}]*\}/
            : new RegExp(`^\\$\\{${variable}:-[^}]*\\}$`);
        expect({ service: name, variable, value: environment[variable] }).toEqual({
          service: name,
          variable,
          value: expect.stringMatching(passedThrough),
        });
      }
    }
  });

  it('bot and worker wait for their Slack settings instead of restart-looping, and stop cleanly', () => {
    for (const name of ['bot', 'worker']) {
      const service = compose.services[name]!;
      const script = service.entrypoint!.join(' ');
      expect(script).toMatch(/if \[ -z "\$\$SLACK_BOT_TOKEN" \]/);
      expect(script).toMatch(/exec sleep infinity/);
      expect(script).toMatch(new RegExp(`exec node bin/compass\\.js ${name}\\n?$`));
      expect((service as { init?: boolean }).init).toBe(true);
      expect(service.restart).toBe('unless-stopped');
      expect(service.volumes).toContain(`\${KUBECONFIG_DIR:-~/.kube}:/etc/compass/kube:ro`);
      expect(service.user).toBe(`\${COMPASS_UID:-1000}:0`);
    }
    expect(compose.services.bot!.healthcheck!.test.join(' ')).toContain('/healthz');
  });

  it('health-checks every long-running service the others wait for, and starts Compass only on healthy stores', () => {
    for (const name of ['postgres', 'redis', 'bot', 'simulator'])
      expect(compose.services[name]!.healthcheck?.test.length ?? 0, name).toBeGreaterThan(1);
    expect(compose.services.migrate!.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(compose.services.worker!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
    for (const name of ['bot', 'worker'])
      expect(compose.services[name]!.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
      });
  });

  it('k3s names itself k3s in its certificate and gets the Compass image into its containerd', () => {
    const k3s = compose.services.k3s!;
    expect(k3s.command).toContain('--tls-san=k3s');
    expect(k3s.volumes).toContain('k3s-images:/var/lib/rancher/k3s/agent/images');
    expect(k3s.depends_on).toEqual({ 'k3s-images': { condition: 'service_completed_successfully' } });
    expect(compose.services['k3s-images']!.command!.join(' ')).toMatch(
      /docker image save .* -o \/images\/compass\.tar/,
    );
  });
});
