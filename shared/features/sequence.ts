/**
 * Kinesis sequence numbers are decimal strings of up to 129 digits. Left-padding them to a fixed
 * width makes string order equal numeric order, which DynamoDB condition expressions can compare.
 */
const SEQUENCE_WIDTH = 129;

// A record's key is asked for once per feature item it touches; remembering the last batch's
// keys keeps the padding and validation off the processor's hot path.
const recentKeys = new Map<string, string>();

export function sequenceKey(sequenceNumber: string): string {
  const known = recentKeys.get(sequenceNumber);
  if (known !== undefined) return known;
  if (!/^\d{1,129}$/.test(sequenceNumber)) {
    throw new Error(`not a Kinesis sequence number: ${sequenceNumber}`);
  }
  const key = sequenceNumber.padStart(SEQUENCE_WIDTH, '0');
  if (recentKeys.size >= 20_000) recentKeys.clear();
  recentKeys.set(sequenceNumber, key);
  return key;
}

/** The attribute that holds a shard's high-water mark on a feature item. */
export function highWaterMarkAttribute(shardId: string): string {
  return `hwm:${shardId}`;
}

/** Contributions not yet applied, given the stored high-water mark (padded) if any. */
export function unapplied<T extends { sequenceNumber: string }>(
  contributions: readonly T[],
  highWaterMark: string | undefined,
): readonly T[] {
  if (highWaterMark === undefined) return contributions;
  return contributions.filter((c) => sequenceKey(c.sequenceNumber) > highWaterMark);
}

export function sequenceRange(contributions: readonly { sequenceNumber: string }[]): { min: string; max: string } {
  let min: string | undefined;
  let max: string | undefined;
  for (const { sequenceNumber } of contributions) {
    const key = sequenceKey(sequenceNumber);
    if (min === undefined || key < min) min = key;
    if (max === undefined || key > max) max = key;
  }
  if (min === undefined || max === undefined) throw new Error('no contributions');
  return { min, max };
}
