/**
 * Library API: what `reasonir eval` does, callable from scripts and other tools. Dense retrieval is reached through
 * `createRetriever`, which loads onnxruntime only when a dense or embeddings retriever is asked for.
 */
export { ExitCode, HarnessError } from './core/errors.js';
export type { Candidates, Corpus, CorpusSource, DatasetIdentity, Qrels, Query, Retriever, Slice, SliceReport, TaskContext, TextBatch } from './core/types.js';
export { memoryCorpus } from './core/corpus-source.js';
export { DEFAULT_DATASET, QUERY_VARIANTS, getTask, listTasks, parseTaskList } from './dataset/registry.js';
export type { QueryVariant, TaskInfo } from './dataset/registry.js';
export { loadTask } from './dataset/load-task.js';
export type { LoadTaskOptions, LoadedTask } from './dataset/load-task.js';
export { analyze, ANALYZER_VERSION } from './retrieval/analyzer/analyze.js';
export { Bm25Retriever } from './retrieval/bm25/bm25-retriever.js';
export { buildRankedList, qrelsFromQueries, removeExcludedIds } from './eval/build-run.js';
export { evaluate } from './eval/evaluate.js';
export type { Evaluation } from './eval/evaluate.js';
export { DEFAULT_MEASURES, parseMeasure, parseMeasureList } from './eval/measure.js';
export type { Measure } from './eval/measure.js';
export { RankedList } from './eval/ranked-list.js';
export type { Run } from './eval/ranked-list.js';
export { readRunFile } from './eval/run-file.js';
export { writeTrecRun } from './eval/trec-run.js';
export { writeScoreJson } from './eval/score-json.js';
export { readQrelsFile } from './eval/trec-qrels.js';
export { writeEvaluationFiles } from './eval/results-files.js';
export { createRetriever, RETRIEVER_KINDS } from './pipeline/create-retriever.js';
export type { RetrieverChoice, RetrieverKind } from './pipeline/create-retriever.js';
export { evaluateTask } from './pipeline/evaluate-task.js';
export { encodeTask } from './pipeline/encode-task.js';
export type { EncodeOutcome, EncodeTaskOptions } from './pipeline/encode-task.js';
export { taskContext } from './pipeline/task-context.js';
export { retrieve } from './pipeline/retrieve.js';
export type { RetrieveRequest } from './pipeline/retrieve.js';
export type { TaskEvaluation } from './pipeline/evaluate-task.js';
export { runEvaluation } from './pipeline/run-evaluation.js';
export type { EvaluationOutcome, EvaluationRequest } from './pipeline/run-evaluation.js';
export { readResultsDir, readTaskManifest, readTaskMetrics } from './results/results-folder.js';
export type { ResultsDir, RunSummary, TaskManifest, TaskMetrics } from './results/results-folder.js';
