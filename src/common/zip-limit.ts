/**
 * How much a zip archive (an XLSX workbook is one) unpacks to, measured by unpacking it with a ceiling — never from
 * the sizes the archive declares, which a hostile file can fake. A few megabytes of zip can hold gigabytes of
 * repeated XML (a "zip bomb"); checking before a library unpacks the whole of it in memory keeps the process alive.
 */
import zlib from 'node:zlib';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** Why an archive is refused: not a zip this reader understands, or larger than the ceiling once unpacked. */
export type ZipRefusal = 'unreadable' | 'too-large';

function endOfDirectory(file: Buffer): number {
  // The record is at the end, after a comment of at most 65,535 bytes.
  for (let at = file.length - 22; at >= Math.max(0, file.length - 22 - 0xffff); at--) {
    if (file.readUInt32LE(at) === END_OF_DIRECTORY) return at;
  }
  return -1;
}

/**
 * Null when every entry of `file` together unpacks to at most `maxBytes`; else why not. Each entry is inflated with
 * the bytes still allowed as its output limit, so the work and memory spent stay within `maxBytes` whatever it holds.
 */
export function zipRefusal(file: Buffer, maxBytes: number): ZipRefusal | null {
  try {
    const end = endOfDirectory(file);
    if (end < 0) return 'unreadable';
    const entries = file.readUInt16LE(end + 10);
    let at = file.readUInt32LE(end + 16);
    let left = maxBytes;
    for (let index = 0; index < entries; index++) {
      if (file.readUInt32LE(at) !== DIRECTORY_ENTRY) return 'unreadable';
      const method = file.readUInt16LE(at + 10);
      const packed = file.readUInt32LE(at + 20);
      const local = file.readUInt32LE(at + 42);
      // 0xffffffff: a zip64 entry; a catalogue workbook never needs one.
      if (packed === 0xffffffff || local === 0xffffffff || file.readUInt32LE(local) !== LOCAL_HEADER) return 'unreadable';
      const start = local + 30 + file.readUInt16LE(local + 26) + file.readUInt16LE(local + 28);
      const data = file.subarray(start, start + packed);
      if (method === STORED) left -= data.length;
      else if (method === DEFLATED) left -= zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, left + 1) }).length;
      else return 'unreadable';
      if (left < 0) return 'too-large';
      at += 46 + file.readUInt16LE(at + 28) + file.readUInt16LE(at + 30) + file.readUInt16LE(at + 32);
    }
    return null;
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'unreadable';
  }
}
