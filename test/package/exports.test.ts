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
  FdbLearn,
  ForwardingTable,
  NdisRuntime,
  TcpIpProtocol,
  TcpServer,
  TcpSocket,
  TsndisHttpAgent,
  WskProvider,
  buildStacks,
  countersFilter,
  parseStackConfig,
  snapshotRuntime,
  virtualWireMiniport,
  type AdapterSnapshot,
  type BuiltHost,
  type DirectionStats,
  type FdbEntry,
  type FilterBlock,
  type InterfaceCounters,
  type Ipv4Counters,
  type LogLimit,
  type MiniportBlock,
  type MiniportRunState,
  type OpenBlock,
  type RuntimeSnapshot,
  type TcpConfig,
  type TcpEngineConnectOptions,
  type TcpEngineCounters,
  type TcpIpOptions,
  type TcpSegmentCounters,
  type Timer,
} from 'tsndis';

/** True when A and B are the same type (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

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
    'tsndis.vlan': tsndis.vlanDriver,
    'tsndis.lbfo': tsndis.lbfoDriver,
    'tsndis.overlay': tsndis.overlayDriver,
  };
  for (const [name, factory] of BUILTIN_DRIVERS) {
    const built = factory();
    if (name in characteristics) assert.equal(built.characteristics, characteristics[name], `${name} characteristics exported`);
    else assert.ok(built.instance instanceof (name === 'tsndis.tcpip' ? TcpIpProtocol : name === 'tsndis.bridge' ? tsndis.BridgeProtocol : tsndis.RawProtocol), `${name} instance class exported`);
  }
  assert.equal(Object.keys(characteristics).length + 3, BUILTIN_DRIVERS.size, 'every built-in driver is covered');
  for (const cls of [
    tsndis.VirtualWireAdapter,
    tsndis.VirtualWire,
    tsndis.LbfoTeamAdapter,
    tsndis.LbfoMember,
    tsndis.TapAdapter,
    tsndis.PcapngAdapter,
    tsndis.VxlanAdapter,
    tsndis.CountersFilterModule,
    tsndis.MonitorFilterModule,
    tsndis.PassThroughFilterModule,
    tsndis.CaptureFilterModule,
    tsndis.ImpairmentFilterModule,
    tsndis.ImLowerBinding,
    tsndis.VlanLowerBinding,
    tsndis.VlanUpperAdapter,
    tsndis.OverlayLowerBinding,
    tsndis.OverlayTenantAdapter,
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
  assert.equal(config.sendBufferSize, 64 << 10);
  const host: BuiltHost | undefined = undefined;
  assert.equal(host, undefined);
});

test('the types the exported API takes or hands back are exported by name', async () => {
  // Checked by the compiler: each name must be exported and be the very type the API uses, so this file
  // stops compiling when one of them is no longer exported (TypeDoc's warnings catch the rest).
  const same: [
    Same<ReturnType<NdisRuntime['adapter']>, MiniportBlock>,
    Same<Awaited<ReturnType<NdisRuntime['attachFilter']>>, FilterBlock[]>,
    Same<Awaited<ReturnType<NdisRuntime['bindProtocol']>>, OpenBlock>,
    Same<ReturnType<typeof snapshotRuntime>, RuntimeSnapshot>,
    Same<NonNullable<tsndis.RuntimeOptions['logLimit']>, LogLimit>,
    Same<ReturnType<tsndis.ManualScheduler['after']>, Timer>,
    Same<tsndis.StackCounters['ipv4'], Ipv4Counters>,
    Same<tsndis.StackCounters['tcp'], TcpSegmentCounters>,
    Same<tsndis.TcpLayer['counters'], TcpEngineCounters>,
    Same<NonNullable<Parameters<tsndis.TcpLayer['connect']>[1]>, TcpEngineConnectOptions>,
    Same<tsndis.IpInterface['counters'], InterfaceCounters>,
    Same<tsndis.VxlanAdapter['state'] | tsndis.TapAdapter['state'], MiniportRunState>,
    Same<ReturnType<tsndis.ImpairmentDirection['stats']>, DirectionStats>,
    Same<ReturnType<ForwardingTable['entries']>, FdbEntry[]>,
  ] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
  assert.ok(same.every((t) => t));

  const rt = NdisRuntime.forTest({ name: 'exports' });
  try {
    rt.registerDriver(virtualWireMiniport);
    rt.registerDriver(countersFilter);
    const ip = new TcpIpProtocol({ seed: 1 });
    rt.registerDriver(ip.characteristics);
    const adapter: MiniportBlock = await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: `exports-${process.pid}` } });
    const filters: FilterBlock[] = await rt.attachFilter('eth0', 'tsndis.counters');
    const binding: OpenBlock = await rt.bindProtocol('eth0', 'tsndis.tcpip');
    assert.deepEqual([adapter.name, filters.map((f) => f.name), binding.name], ['exports/eth0', ['exports/eth0/tsndis.counters'], 'exports/eth0<-tsndis.tcpip']);
    const shown: AdapterSnapshot | undefined = snapshotRuntime(rt).adapters[0];
    assert.equal(shown?.ifIndex, adapter.ifIndex);
    const ipv4: Ipv4Counters = ip.stack.counters.ipv4;
    assert.equal(typeof ipv4, 'object');
  } finally {
    await rt.shutdown();
  }

  const fdb = new ForwardingTable(4, 1000);
  const mac = Uint8Array.of(2, 0, 0, 0, 0, 1);
  assert.equal(fdb.learn(mac, 0, '192.0.2.1', 4789, 0), FdbLearn.Learned);
  const entries: FdbEntry[] = fdb.entries(10);
  assert.deepEqual(entries, [{ mac: '02:00:00:00:00:01', address: '192.0.2.1', port: 4789, ageMs: 10 }]);
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

test('the RSS building blocks are exported, typed', () => {
  const key = Uint8Array.of(0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa);
  const hash: number = tsndis.toeplitzHash(key, Uint8Array.of(0x42, 0x09, 0x95, 0xbb, 0xa1, 0x8e, 0x64, 0x50, 0x0a, 0xea, 0x06, 0xe6));
  assert.equal(hash, 0x51ccc178);
  const none: tsndis.RssHashResult | null = tsndis.rssHash(new Uint8Array(60), tsndis.NDIS_HASH_TCP_IPV4 | tsndis.NDIS_HASH_IPV4, key);
  assert.equal(none, null);
  const same: [
    Same<Parameters<typeof tsndis.rssHash>, [frame: Uint8Array, hashTypes: number, key: Uint8Array]>,
    Same<ReturnType<typeof tsndis.applyReceiveScaleParameters>, tsndis.RssApplyResult>,
    Same<tsndis.RssApplyResult['settings'], tsndis.RssSettings>,
    Same<Parameters<typeof tsndis.receiveScaleParametersCodec.encode>[0], tsndis.NdisReceiveScaleParameters>,
    Same<tsndis.NdisReceiveScaleParameters['indirectionTable'][number], tsndis.ProcessorNumber>,
    Same<ReturnType<typeof tsndis.rssKeywordSettings>, tsndis.RssKeywordSettings>,
  ] = [true, true, true, true, true, true];
  assert.ok(same.every((t) => t));
  for (const f of [tsndis.ToeplitzHasher, tsndis.RssHasher, tsndis.standardRssKeywords, tsndis.rssTargetProcessor, tsndis.RssState, tsndis.RssCounters]) assert.equal(typeof f, 'function');
  assert.deepEqual(tsndis.RSS_OIDS, [tsndis.OID_GEN_RECEIVE_SCALE_CAPABILITIES, tsndis.OID_GEN_RECEIVE_SCALE_PARAMETERS]);
  assert.equal(tsndis.OID_CODECS.get(tsndis.OID_GEN_RECEIVE_SCALE_PARAMETERS), tsndis.receiveScaleParametersCodec);
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
