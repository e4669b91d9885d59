/**
 * Just enough EXIF to read a camera's focal length: the 35 mm-equivalent focal
 * length (tag 0xA405 in the Exif sub-IFD) that phones write into their photos.
 * `exif` is the APP1 payload as sharp returns it ("Exif\0\0" + TIFF).
 */
export function readExifFocal35mm(exif: Buffer): number | null {
  try {
    let base = 0;
    if (exif.subarray(0, 4).toString('latin1') === 'Exif') base = 6;
    const order = exif.subarray(base, base + 2).toString('latin1');
    if (order !== 'II' && order !== 'MM') return null;
    const le = order === 'II';
    const u16 = (o: number) => (le ? exif.readUInt16LE(base + o) : exif.readUInt16BE(base + o));
    const u32 = (o: number) => (le ? exif.readUInt32LE(base + o) : exif.readUInt32BE(base + o));
    const findTag = (ifd: number, tag: number): number | null => {
      const count = u16(ifd);
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + 12 * i;
        if (u16(entry) !== tag) continue;
        const type = u16(entry + 2);
        return type === 3 ? u16(entry + 8) : u32(entry + 8);
      }
      return null;
    };
    const exifIfd = findTag(u32(4), 0x8769);
    if (exifIfd == null) return null;
    const focal = findTag(exifIfd, 0xa405);
    return focal && focal > 0 ? focal : null;
  } catch {
    return null; // malformed EXIF: behave as if there were none
  }
}

/**
 * Focal length in pixels from a 35 mm-equivalent focal length: the equivalence
 * is defined on the diagonal (43.27 mm for a 36 × 24 mm frame).
 */
export function focalPxFrom35mm(focal35mm: number, width: number, height: number): number {
  return (focal35mm * Math.hypot(width, height)) / Math.hypot(36, 24);
}
