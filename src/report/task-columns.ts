import { listTasks } from '../dataset/registry.js';

/** One task column of a comparison table, in the paper's order. */
export interface TaskColumn {
  task: string;
  /** The papers' column heading (`Bio`, `TheoQ`). */
  heading: string;
  /** The papers' column group (`StackExchange`, `Coding`, `Theorem-based`). */
  group: string;
}

// How the BRIGHT and ReasonIR papers head their columns; a task the papers never had keeps its own name.
const HEADINGS: Record<string, string> = {
  biology: 'Bio',
  earth_science: 'Earth',
  economics: 'Econ',
  psychology: 'Psy',
  robotics: 'Rob',
  stackoverflow: 'Stack',
  sustainable_living: 'Sus',
  leetcode: 'Leet',
  pony: 'Pony',
  aops: 'AoPS',
  theoremqa_questions: 'TheoQ',
  theoremqa_theorems: 'TheoT',
};

const GROUPS: Record<string, string> = { Theorems: 'Theorem-based' };

/** The 12 tasks, or for the long-document setting the 8 tasks that have long documents. */
export function taskColumns(long: boolean): TaskColumn[] {
  return listTasks()
    .filter((info) => !long || info.hasLong)
    .map((info) => ({ task: info.name, heading: HEADINGS[info.name] ?? info.name, group: GROUPS[info.group] ?? info.group }));
}

/** Unweighted mean in column order (the papers' "Avg"); null for no values. */
export function meanInOrder(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Tasks in the papers' column order; tasks the registry does not know go last, by name. */
export function inPaperOrder(tasks: Iterable<string>): string[] {
  const order = listTasks().map((info) => info.name);
  const rank = (task: string) => (order.includes(task) ? order.indexOf(task) : order.length);
  return [...tasks].sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
}
