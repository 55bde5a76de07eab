export declare const REASONIR_8B_CONFIG: Record<string, unknown>;
export declare function writeLlamaCheckpoint(options: { dir: string; config?: Record<string, unknown>; shards?: number; fill?: 'random' | 'sparse' }): string[];
