/**
 * What each container executor asks its backend for a job's host ports: Docker's port
 * bindings, a Swarm service's host-mode published ports, a Kubernetes pod's hostPorts.
 */
import { ExecutorError, type HostPort, type RunSpec } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { createOptions, portBindings, sameBindings } from '../src/docker/container-spec.js';
import { hostPortTaken } from '../src/docker/docker-errors.js';
import { jobManifest } from '../src/kubernetes/job-manifest.js';
import { parseKubernetesOptions } from '../src/kubernetes/kube-options.js';
import { serviceSpec } from '../src/swarm/service-spec.js';
import { makeRunSpec } from './helpers/run-spec.js';

const PORTS: HostPort[] = [
  { containerPort: 8080, protocol: 'tcp', hostPort: 20003, node: 'n1' },
  { containerPort: 9090, protocol: 'udp', hostPort: 20004, node: 'n1', hostIp: '127.0.0.1' },
];

function withPorts(network = 'jobs'): RunSpec {
  return { ...makeRunSpec('c1', 7, { script: 'true', network, node: 'n1' }), ports: PORTS };
}

describe('docker', () => {
  it('exposes each container port and binds it to its host port and address', () => {
    const body = createOptions(withPorts(), 'c1');
    expect(body.ExposedPorts).toEqual({ '8080/tcp': {}, '9090/udp': {} });
    expect(body.HostConfig?.PortBindings).toEqual({
      '8080/tcp': [{ HostIp: '', HostPort: '20003' }],
      '9090/udp': [{ HostIp: '127.0.0.1', HostPort: '20004' }],
    });
  });

  it('tells a container made for an earlier placement (other host ports) from one made for this one', () => {
    const want = portBindings(withPorts()).PortBindings;
    expect(sameBindings(createOptions(withPorts(), 'c1').HostConfig?.PortBindings, want)).toBe(true);
    const earlier = { ...withPorts(), ports: PORTS.map((p) => ({ ...p, hostPort: p.hostPort + 10 })) };
    expect(sameBindings(createOptions(earlier, 'c1').HostConfig?.PortBindings, want)).toBe(false);
    // What the engine answers for a container made without ports.
    expect(sameBindings({}, portBindings(makeRunSpec('c1', 8, { script: 'true' })).PortBindings)).toBe(true);
    expect(sameBindings(null, want)).toBe(false);
  });

  it('publishes nothing for a job without ports', () => {
    const body = createOptions(makeRunSpec('c1', 8, { script: 'true' }), 'c1');
    expect(body.ExposedPorts).toBeUndefined();
    expect(body.HostConfig?.PortBindings).toBeUndefined();
  });

  it('refuses to start a job with ports and no network, saying what the admin sets', () => {
    expect(() => createOptions(withPorts('none'), 'c1')).toThrow(ExecutorError);
    expect(() => createOptions(withPorts('none'), 'c1')).toThrow(/no network: the admin sets network.allowedMode/);
  });

  it('names the job port whose host port another program holds', () => {
    const engine = Object.assign(new Error('HTTP 500'), {
      statusCode: 500,
      json: {
        message:
          'driver failed programming external connectivity on endpoint x (abc): Error starting userland proxy: listen tcp4 0.0.0.0:20003: bind: address already in use',
      },
    });
    expect(hostPortTaken(engine, withPorts())).toBe(
      'host port 20003 (for container port 8080/tcp) is already in use on node n1 by a program outside GoDocker; free it or take it out of the port pool (ports.start, ports.range)',
    );
    const allocated = Object.assign(new Error('HTTP 500'), {
      statusCode: 500,
      json: { message: 'Bind for 0.0.0.0:20004 failed: port is already allocated' },
    });
    expect(hostPortTaken(allocated, withPorts())).toMatch(/^host port 20004 \(for container port 9090\/udp\)/);
    expect(hostPortTaken(new Error('no such image'), withPorts())).toBeNull();
  });
});

describe('swarm', () => {
  it('publishes each port in host mode on the host port the daemon chose', () => {
    const options = { killGraceSeconds: 1, network: null, reserveResources: false, nodeConstraint: null, config: null };
    expect(serviceSpec(withPorts(), 'c1', options).EndpointSpec).toEqual({
      Ports: [
        { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 20003, PublishMode: 'host' },
        { Protocol: 'udp', TargetPort: 9090, PublishedPort: 20004, PublishMode: 'host' },
      ],
    });
    const plain = makeRunSpec('c1', 8, { script: 'true' });
    expect(serviceSpec(plain, 'c1', options).EndpointSpec).toBeUndefined();
  });
});

describe('kubernetes', () => {
  it('gives the container each port as a hostPort, with its protocol and address', () => {
    const options = parseKubernetesOptions({ namespace: 'jobs' });
    const container = jobManifest(withPorts(), 'c1', options, 'godocker.io/executor').spec?.template.spec?.containers[0];
    expect(container?.ports).toEqual([
      { containerPort: 8080, protocol: 'TCP', hostPort: 20003 },
      { containerPort: 9090, protocol: 'UDP', hostPort: 20004, hostIP: '127.0.0.1' },
    ]);
    const plain = jobManifest(makeRunSpec('c1', 8, { script: 'true' }), 'c1', options, 'godocker.io/executor');
    expect(plain.spec?.template.spec?.containers[0]?.ports).toBeUndefined();
  });
});
