import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { ManifestSettings, optionManifestPreview, validateManifests } from '../../src/deploy/index.js';
import { manifestPreview } from '../../src/deploy/objects.js';
import { manifestInput, ofKind, planned, rendered } from './fixtures.js';

const PASSWORD = 'hunter2-Sup3rSecret';
const WITH_CREDENTIALS = `http://scaler:${PASSWORD}@prometheus.monitoring.svc:9090`;

interface PrometheusTrigger {
  metadata: Record<string, string>;
  authenticationRef?: { name: string; kind?: string };
}
const triggerOf = (objects: ReturnType<typeof rendered>) =>
  (ofKind(objects, 'ScaledObject').spec as { triggers: PrometheusTrigger[] }).triggers[0]!;

describe('Prometheus credentials never reach a manifest (issue 16: DEPLOY_PROMETHEUS_URL was rendered as given)', () => {
  it('a DEPLOY_PROMETHEUS_URL with credentials and no TriggerAuthentication is a configuration error', () => {
    let error: unknown;
    try {
      loadConfig({ HOME: '/h', DEPLOY_PROMETHEUS_URL: WITH_CREDENTIALS });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/DEPLOY_PROMETHEUS_URL.*carries credentials.*DEPLOY_PROMETHEUS_AUTH/s);
    expect(String(error)).not.toContain(PASSWORD);
  });

  it('with DEPLOY_PROMETHEUS_AUTH the trigger names the TriggerAuthentication; the address has no credentials', () => {
    const settings = loadConfig({
      HOME: '/h',
      DEPLOY_PROMETHEUS_URL: WITH_CREDENTIALS,
      DEPLOY_PROMETHEUS_AUTH: 'prometheus-basic',
    }).manifests;
    const objects = rendered(manifestInput(undefined, settings));
    expect(JSON.stringify(objects)).not.toContain(PASSWORD);
    const trigger = triggerOf(objects);
    expect(trigger.metadata.serverAddress).toBe('http://prometheus.monitoring.svc:9090');
    expect(trigger.metadata.authModes).toBe('basic');
    expect(trigger.authenticationRef).toEqual({ name: 'prometheus-basic' });
    expect(validateManifests(objects)).toEqual([]);
  });

  it('a ClusterTriggerAuthentication is named with its kind', () => {
    const objects = rendered(
      manifestInput(undefined, { prometheusAuth: 'ClusterTriggerAuthentication/prometheus-basic' }),
    );
    expect(triggerOf(objects).authenticationRef).toEqual({
      name: 'prometheus-basic',
      kind: 'ClusterTriggerAuthentication',
    });
    expect(validateManifests(objects)).toEqual([]);
  });

  it('without credentials nothing changes: no authModes, no authenticationRef', () => {
    const trigger = triggerOf(rendered(manifestInput()));
    expect(trigger.metadata.authModes).toBeUndefined();
    expect(trigger.authenticationRef).toBeUndefined();
  });

  it('the Details modal’s manifest preview shows neither the password nor the user', () => {
    const config = {
      deploy: { contexts: ['staging'], namespaces: ['compass'] },
      manifests: ManifestSettings.parse({
        prometheusUrl: WITH_CREDENTIALS,
        prometheusAuth: 'prometheus-basic',
      }),
    };
    const { spec, option } = planned({ gpuTypes: ['L4'] });
    const preview = optionManifestPreview(config as never)('C1:1.0', option, spec);
    expect(preview).not.toContain(PASSWORD);
    // The modal's preview is cut to fit Slack; the whole of it names the TriggerAuthentication instead.
    const whole = manifestPreview(rendered(manifestInput(undefined, config.manifests)), 1e6);
    expect(whole).toContain('name: prometheus-basic');
    expect(whole).not.toContain(PASSWORD);
    expect(whole).not.toContain('scaler:');
  });
});
