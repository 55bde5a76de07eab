export type BrightColumnKind = 'string' | 'string[]' | 'int64';
export type BrightColumns = Record<string, BrightColumnKind>;
export type BrightRow = Record<string, string | string[] | bigint | null | undefined>;
export type Codec = 'UNCOMPRESSED' | 'SNAPPY';

export declare const brightColumns: {
  examples: BrightColumns;
  documents: BrightColumns;
};

export interface BrightParquetWriter {
  /** Writes one row group. */
  write(rows: BrightRow[]): void;
  /** Ends the file; returns the bytes when it was opened without a filename. */
  finish(): Uint8Array | undefined;
}

export declare function openBrightParquet(options: {
  filename?: string;
  columns: BrightColumns;
  codec?: Codec;
  encodings?: Record<string, 'PLAIN' | 'RLE_DICTIONARY'>;
}): BrightParquetWriter;

export declare function writeBrightParquet(options: {
  filename?: string;
  columns: BrightColumns;
  rows: BrightRow[];
  rowGroupSize?: number;
  codec?: Codec;
}): Uint8Array | undefined;
