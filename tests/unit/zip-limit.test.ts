import JSZip from 'jszip';
import { zipRefusal } from '../../src/common/zip-limit';

const MIB = 1024 * 1024;

async function zipOf(files: Record<string, Buffer>, compression: 'DEFLATE' | 'STORE' = 'DEFLATE'): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, content] of Object.entries(files)) zip.file(name, content);
  return zip.generateAsync({ type: 'nodebuffer', compression });
}

describe('zipRefusal', () => {
  it('measures what every entry unpacks to, deflated or stored', async () => {
    const file = await zipOf({ 'a.xml': Buffer.alloc(MIB, 'a'), 'b.xml': Buffer.alloc(MIB, 'b') });
    expect(zipRefusal(file, 2 * MIB)).toBeNull();
    expect(zipRefusal(file, 2 * MIB - 1)).toBe('too-large');
    const stored = await zipOf({ 'a.xml': Buffer.alloc(MIB, 'a') }, 'STORE');
    expect(zipRefusal(stored, MIB)).toBeNull();
    expect(zipRefusal(stored, MIB - 1)).toBe('too-large');
  });

  it('does not trust the sizes the archive declares', async () => {
    const file = await zipOf({ 'a.xml': Buffer.alloc(4 * MIB, 'a') });
    // Every size field (local header and central directory) claims 10 bytes unpacked.
    for (const signature of [0x04034b50, 0x02014b50]) {
      const at = file.indexOf(Buffer.from(Uint32Array.of(signature).buffer));
      file.writeUInt32LE(10, at + (signature === 0x04034b50 ? 22 : 24));
    }
    expect(zipRefusal(file, MIB)).toBe('too-large');
  });

  it('refuses what is not a zip', () => {
    expect(zipRefusal(Buffer.from('%PDF-1.7'), MIB)).toBe('unreadable');
    expect(zipRefusal(Buffer.alloc(0), MIB)).toBe('unreadable');
    const truncated = Buffer.alloc(22);
    truncated.writeUInt32LE(0x06054b50, 0);
    truncated.writeUInt16LE(1, 10);
    truncated.writeUInt32LE(1000, 16);
    expect(zipRefusal(truncated, MIB)).toBe('unreadable');
  });
});
