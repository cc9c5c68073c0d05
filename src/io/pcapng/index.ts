/**
 * pcap and pcapng for drivers and tests: the constants (format.ts), exact 64-bit timestamps without
 * BigInt (timestamp.ts), an incremental reader for untrusted input (reader.ts), block builders and
 * allocation-free packet block encoders (writer.ts), a bounded ring of blocks (block-ring.ts), a
 * rotating file writer draining that ring (capture-file.ts) and a chunked file reader (file-source.ts).
 *
 * Not supported: writing classic pcap files (only records for tests), compressed captures (gzip/zstd),
 * decryption secrets, name resolution and statistics blocks (read and skipped).
 */
export * from './format.js';
export { NanosecondClock, TimeParts, TimestampHalves, timeToUnits, unitsToTime, isSupportedTsresol, MAX_DECIMAL_TSRESOL } from './timestamp.js';
export {
  CaptureError,
  CaptureInterface,
  CaptureReader,
  CaptureRecord,
  ReadStatus,
  ReaderCounters,
  readCapture,
  type CaptureContents,
  type CaptureErrorCode,
  type CaptureFormat,
  type CaptureReaderOptions,
  type CapturedFrame,
} from './reader.js';
export {
  concatBytes,
  enhancedPacketBlock,
  enhancedPacketBlockLength,
  finishEnhancedPacketBlock,
  genericBlock,
  interfaceDescriptionBlock,
  pcapFileHeader,
  pcapRecord,
  putU32LE,
  sectionHeaderBlock,
  simplePacketBlock,
  stringOption,
  writeEnhancedPacketHeader,
  type BlockOption,
  type ByteOrderOption,
  type EnhancedPacketOptions,
  type InterfaceDescriptionOptions,
  type PcapHeaderOptions,
  type PcapRecordOptions,
  type SectionHeaderOptions,
} from './writer.js';
export { BlockRing } from './block-ring.js';
export { CaptureFile, CaptureFileCounters, type CaptureFileOpenResult, type CaptureFileOptions } from './capture-file.js';
export { CaptureFileSource, captureFileProblem, type CaptureFileSourceOpenResult, type CaptureFileSourceOptions } from './file-source.js';
