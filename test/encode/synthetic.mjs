// Deterministic synthetic documents and queries with varied lengths (plain JS: shared by tests and child processes).
const WORDS = 'cell membrane protein energy light water root leaf enzyme gene neuron signal carbon oxygen soil climate market price robot sensor'.split(' ');

export function syntheticCorpus(count) {
  const ids = [];
  const texts = [];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let i = 0; i < count; i++) {
    const length = 3 + (next() % 60);
    const words = Array.from({ length }, () => WORDS[next() % WORDS.length]);
    ids.push(`doc-${i}`);
    texts.push(words.join(' '));
  }
  return { ids, texts };
}

export function syntheticQueries(count) {
  return Array.from({ length: count }, (_, i) => ({
    id: `q${i}`,
    text: `${WORDS[i % WORDS.length]} ${WORDS[(i * 7 + 3) % WORDS.length]} question number ${i}`,
    goldIds: [],
    goldIdsLong: [],
    excludedIds: i % 2 === 0 ? [`doc-${i}`] : [],
  }));
}
