/**
 * The package's public surface: `import … from 'tsndis'` (the package's own name, resolved through the
 * `exports` of package.json, as a user's project resolves it) gives everything needed to build stacks,
 * use the TCP/IP stack from code and write drivers, with no deep import.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as tsndis from 'tsndis';
import {
  BUILTIN_DRIVERS,
  TcpIpProtocol,
  TcpServer,
  TcpSocket,
  TsndisHttpAgent,
  WskProvider,
  buildStacks,
  parseStackConfig,
  type BuiltHost,
  type TcpConfig,
  type TcpIpOptions,
} from 'tsndis';

test('the package name resolves to the built package itself', () => {
  assert.equal(typeof tsndis.NdisRuntime, 'function');
  assert.equal(typeof buildStacks, 'function');
  assert.equal(typeof parseStackConfig, 'function');
  assert.equal(typeof tsndis.createStacks, 'function', 'the one-call entry point, also through a namespace import');
});

test('every built-in driver is exported with its characteristics and its adapter or module class', () => {
  const characteristics: Record<string, unknown> = {
    'tsndis.virtual-wire': tsndis.virtualWireMiniport,
    'tsndis.tap': tsndis.tapMiniport,
    'tsndis.pcapng': tsndis.pcapngMiniport,
    'tsndis.vxlan': tsndis.vxlanMiniport,
    'tsndis.counters': tsndis.countersFilter,
    'tsndis.monitor': tsndis.monitorFilter,
    'tsndis.passthrough': tsndis.passThroughFilter,
    'tsndis.capture': tsndis.captureFilter,
    'tsndis.impairment': tsndis.impairmentFilter,
    'tsndis.im-passthrough': tsndis.imPassThroughDriver,
  };
  for (const [name, factory] of BUILTIN_DRIVERS) {
    const built = factory();
    if (name in characteristics) assert.equal(built.characteristics, characteristics[name], `${name} characteristics exported`);
    else assert.ok(built.instance instanceof (name === 'tsndis.tcpip' ? TcpIpProtocol : tsndis.RawProtocol), `${name} instance class exported`);
  }
  assert.equal(Object.keys(characteristics).length + 2, BUILTIN_DRIVERS.size, 'every built-in driver is covered');
  for (const cls of [
    tsndis.VirtualWireAdapter,
    tsndis.VirtualWire,
    tsndis.TapAdapter,
    tsndis.PcapngAdapter,
    tsndis.VxlanAdapter,
    tsndis.CountersFilterModule,
    tsndis.MonitorFilterModule,
    tsndis.PassThroughFilterModule,
    tsndis.CaptureFilterModule,
    tsndis.ImpairmentFilterModule,
    tsndis.ImLowerBinding,
    tsndis.ImUpperAdapter,
    tsndis.RawProtocol,
    tsndis.RawBinding,
    tsndis.TcpIpBinding,
  ]) {
    assert.equal(typeof cls, 'function');
  }
});

test('the TCP/IP protocol, its sockets, servers and HTTP agent are exported', () => {
  const ip = new TcpIpProtocol({ seed: 1 } satisfies TcpIpOptions);
  assert.ok(ip.sockets instanceof WskProvider);
  const server = ip.createServer();
  assert.ok(server instanceof TcpServer);
  assert.equal(typeof TcpSocket.fromWsk, 'function');
  assert.ok(new TsndisHttpAgent(ip.sockets) instanceof tsndis.TsndisHttpAgent);
  for (const f of [tsndis.createHttpServer, tsndis.startService, tsndis.createTcpIpProtocol]) assert.equal(typeof f, 'function');
  const config: Partial<TcpConfig> = { sendBufferSize: tsndis.DEFAULT_TCP_CONFIG.sendBufferSize };
  assert.equal(config.sendBufferSize, 1 << 20);
  const host: BuiltHost | undefined = undefined;
  assert.equal(host, undefined);
});

test('what a miniport or filter author needs is exported', () => {
  for (const f of [
    tsndis.handleEthernetOid,
    tsndis.EthernetMiniportState,
    tsndis.EthernetStatistics,
    tsndis.filterAccepts,
    tsndis.ReceiveQueue,
    tsndis.LentIndication,
    tsndis.MiniportOffloads,
    tsndis.offloadFromKeywords,
    tsndis.standardOffloadKeywords,
    tsndis.softwareOffloadCapabilities,
    tsndis.LsoSegmenter,
    tsndis.SegmentTarget,
    tsndis.FrameLayout,
    tsndis.locateHeaders,
    tsndis.stableMac,
    tsndis.offloadMask,
  ]) {
    assert.equal(typeof f, 'function');
  }
  assert.ok(tsndis.ETHERNET_OIDS.length > 0);
  assert.ok(tsndis.TASK_OFFLOAD_OIDS.length > 0);
});

test('the pcapng reader and writer are exported', () => {
  for (const f of [tsndis.CaptureReader, tsndis.readCapture, tsndis.CaptureFile, tsndis.CaptureFileSource, tsndis.pcapng.sectionHeaderBlock, tsndis.pcapng.enhancedPacketBlock]) assert.equal(typeof f, 'function');
  const contents = tsndis.readCapture(tsndis.pcapng.concatBytes([tsndis.pcapng.sectionHeaderBlock(), tsndis.pcapng.interfaceDescriptionBlock({ linkType: 1, snapLength: 0 })]));
  assert.equal(contents.frames.length, 0);
  assert.equal(contents.format, 'pcapng');
  assert.equal(contents.interfaces.length, 1);
});

test('importing the package loads no native module: koffi only when a TAP adapter is created', () => {
  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('koffi'));
  assert.deepEqual(loaded, []);
});
