// The answer contract, in one place: what a model must answer with, and everything derived from it.
//
// The prompt's shape and rules, the JSON schema servers constrain the answer with (vLLM, SGLang,
// llama.cpp, LM Studio, Ollama), the local model's grammar, the parser's canonical values and
// aliases, the protocol's checks and the panel's labels all read the tables below. Adding a
// severity or a category is one entry in its table; adding a field of a finding or of the answer
// is one entry in `FINDING_FIELDS` or `ANSWER_FIELDS` (plus reading it in the parser and showing it).
//
// No imports: the webview bundle reads the labels from here too.

// ---- severities and categories ----

interface SeverityDef {
  readonly id: string;
  /** What it means, for the prompt's rules. */
  readonly meaning: string;
  /** What it means for a proof: whether the result is false or only unproven. */
  readonly proofMeaning: string;
  /** Words models use instead, read back as this severity. */
  readonly aliases: readonly string[];
}

/** Most severe first: the order the panel sorts by. */
export const SEVERITY_DEFS = [
  {
    id: 'error',
    meaning: 'wrong results or a crash',
    proofMeaning: 'the result as stated is false or a step is wrong (give a counterexample when you can)',
    aliases: ['critical', 'high', 'fatal', 'blocker', 'major', 'severe'],
  },
  {
    id: 'warning',
    meaning: 'wrong for some inputs or risky',
    proofMeaning: 'the result may be true but is not proved here (a gap, a missing case)',
    aliases: ['warn', 'medium', 'moderate'],
  },
  {
    id: 'info',
    meaning: 'worth knowing',
    proofMeaning: 'worth knowing',
    aliases: ['information', 'informational', 'low', 'minor', 'note', 'hint', 'suggestion', 'trivial'],
  },
] as const satisfies readonly SeverityDef[];

export type Severity = (typeof SEVERITY_DEFS)[number]['id'];
export const SEVERITIES: readonly Severity[] = SEVERITY_DEFS.map((d) => d.id);
/** A severity the model left out or spelt in a way nobody knows. */
export const DEFAULT_SEVERITY: Severity = 'warning';

interface CategoryDef {
  readonly id: string;
  /** How the panel names it. */
  readonly label: string;
  /** Words models use instead (compared lower-case, with spaces for `-`/`_`). */
  readonly aliases: readonly string[];
  /** For a proof, what it stands for; categories without one are not offered for proofs. */
  readonly inProofs?: string;
  /** Offered only for proofs (a code review's prompt does not list it). */
  readonly proofsOnly?: boolean;
}

export const CATEGORY_DEFS = [
  { id: 'bug', label: 'bug', aliases: ['correctness', 'error', 'crash', 'wrong step'], inProofs: 'a wrong step or a false claim' },
  {
    id: 'edge-case',
    label: 'edge case',
    aliases: ['edgecase', 'boundary', 'boundary condition', 'missing case'],
    inProofs: 'a missing case or boundary condition',
  },
  { id: 'performance', label: 'performance', aliases: ['perf', 'efficiency'] },
  { id: 'security', label: 'security', aliases: ['vulnerability'] },
  {
    id: 'maintainability',
    label: 'maintainability',
    aliases: ['readability', 'style', 'code quality', 'maintenance'],
  },
  {
    // A flaw in the reasoning itself rather than in one step's content (proofs; a code review's
    // "logic error" reads as this too).
    id: 'logic',
    label: 'logic',
    aliases: [
      'reasoning',
      'gap',
      'proof gap',
      'unjustified',
      'unjustified claim',
      'circular',
      'circular argument',
      'circularity',
      'non sequitur',
      'notation',
    ],
    inProofs: 'an unjustified claim, a circular argument, a conclusion that does not follow, or notation used before it is defined',
    proofsOnly: true,
  },
] as const satisfies readonly CategoryDef[];

export type Category = (typeof CATEGORY_DEFS)[number]['id'];
export const CATEGORIES: readonly Category[] = CATEGORY_DEFS.map((d) => d.id);
export const DEFAULT_CATEGORY: Category = 'bug';
/** The categories a prompt offers: for a proof, those with a meaning in proofs. */
export function offeredCategories(proof: boolean): readonly Category[] {
  return CATEGORY_DEFS.filter((d: CategoryDef) => (proof ? d.inProofs !== undefined : !d.proofsOnly)).map((d) => d.id);
}

export function categoryLabel(category: Category): string {
  return CATEGORY_DEFS.find((d) => d.id === category)?.label ?? category;
}

/** Rank for sorting, most severe first. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Every word the parser reads as a severity: the ids and their aliases. */
export const SEVERITY_WORDS: Readonly<Record<string, Severity>> = Object.fromEntries(
  SEVERITY_DEFS.flatMap((d) => [[d.id, d.id], ...d.aliases.map((alias) => [alias, d.id])]),
);

/** Every word the parser reads as a category, normalised like `normaliseCategoryWord`. */
export const CATEGORY_WORDS: Readonly<Record<string, Category>> = Object.fromEntries(
  CATEGORY_DEFS.flatMap((d) => [d.id, ...d.aliases].map((word) => [normaliseCategoryWord(word), d.id])),
);

export function normaliseCategoryWord(word: string): string {
  return word
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
}

// ---- confidence ----

/**
 * How sure the model is of a finding. ThinkLens combines it with what it checks itself (the quote
 * found, the reasoning behind it, the trace retracting it) into the finding's confidence.
 */
export const CONFIDENCE_DEFS = [
  { id: 'high', meaning: 'you checked it and are sure', aliases: ['certain', 'very high', 'sure'] },
  { id: 'medium', meaning: 'likely, but it depends on code or inputs you cannot see', aliases: ['moderate', 'med', 'likely'] },
  { id: 'low', meaning: 'a suspicion worth a look', aliases: ['very low', 'unsure', 'uncertain', 'possible'] },
] as const satisfies readonly { readonly id: string; readonly meaning: string; readonly aliases: readonly string[] }[];

export type Confidence = (typeof CONFIDENCE_DEFS)[number]['id'];
/** Least to most confident: the order filters compare by. */
export const CONFIDENCES_ASCENDING: readonly Confidence[] = ['low', 'medium', 'high'];

/** Every word the parser reads as a confidence. */
export const CONFIDENCE_WORDS: Readonly<Record<string, Confidence>> = Object.fromEntries(
  CONFIDENCE_DEFS.flatMap((d) => [[d.id, d.id], ...d.aliases.map((alias) => [alias, d.id])]),
);

// ---- fields ----

type JsonSchema = Readonly<Record<string, unknown>>;

/** What the prompt says about a field, given where fixes may go. */
export interface RuleContext {
  /** The editable lines, e.g. `12–30, 40–41`. */
  readonly editableLines: string;
  /** The document is a proof: the rules speak of text and steps, not code (see documentKind.ts). */
  readonly proof?: boolean;
}

export interface FieldDef {
  readonly schema: JsonSchema;
  /** The value as the prompt's example shape shows it (JSON-ish text with `<placeholders>`). */
  readonly example: string;
  /** ... when the document is a proof, where it differs. */
  readonly proofExample?: string;
  /** The model may leave it out; answers without it still parse. */
  readonly optional?: boolean;
  /** A line of the prompt's rules about this field. */
  readonly rule?: (context: RuleContext) => string;
  /** Only asked for when the whole answer is JSON (with prose allowed, it is written above the block). */
  readonly jsonAnswerOnly?: boolean;
}

// No `minimum`: node-llama-cpp's grammar schema does not know it, and the parser clamps lines anyway.
const lineNumber = { type: 'integer' } as const;

export const FIX_FIELDS: Readonly<Record<string, FieldDef>> = {
  startLine: { schema: lineNumber, example: '<first line>' },
  endLine: { schema: lineNumber, example: '<last line>' },
  replacement: {
    schema: { type: 'string' },
    example: '"<the new text of those whole lines>"',
    proofExample: '"<the corrected text of those whole lines>"',
  },
};

const exampleOf = (field: FieldDef, proof: boolean): string => (proof && field.proofExample) || field.example;
const fixExample = (proof: boolean): string =>
  `{ ${Object.entries(FIX_FIELDS)
    .map(([key, f]) => `"${key}": ${exampleOf(f, proof)}`)
    .join(', ')} }`;

/** A finding's fields, in the order the model writes them (the grammar keeps this order). */
export const FINDING_FIELDS: Readonly<Record<string, FieldDef>> = {
  title: { schema: { type: 'string' }, example: '"<short name of the problem>"', proofExample: '"<short name of the flaw>"' },
  severity: {
    schema: { enum: SEVERITIES },
    example: `"${SEVERITIES.join(' | ')}"`,
    rule: ({ proof }) => `- severity: ${SEVERITY_DEFS.map((d) => `"${d.id}" = ${proof ? d.proofMeaning : d.meaning}`).join('; ')}.`,
  },
  category: {
    schema: { enum: CATEGORIES },
    example: `"${offeredCategories(false).join(' | ')}"`,
    proofExample: `"${offeredCategories(true).join(' | ')}"`,
    rule: ({ proof }) =>
      proof
        ? `- category: ${CATEGORY_DEFS.filter((d: CategoryDef) => d.inProofs)
            .map((d: CategoryDef) => `"${d.id}" = ${d.inProofs}`)
            .join('; ')}.`
        : '',
  },
  startLine: {
    schema: lineNumber,
    example: '<first line>',
    rule: () => '- startLine/endLine: absolute file line numbers as shown before " | ", 1-based, inclusive.',
  },
  endLine: { schema: lineNumber, example: '<last line>' },
  quote: {
    schema: { type: 'string' },
    example: '"<code copied verbatim from line startLine>"',
    proofExample: '"<the flawed text copied verbatim, starting on line startLine>"',
    rule: ({ proof }) =>
      proof
        ? '- quote: the flawed text copied exactly as written in the file, LaTeX commands included, starting on ' +
          'line startLine (a sentence or a formula, not a paraphrase); it is how the finding is located.'
        : '- quote: the problem code copied exactly from line startLine (all or part of it), without the number ' +
          'prefix; it is how the finding is located.',
  },
  explanation: {
    schema: { type: 'string' },
    example: '"<markdown: why it is wrong, an input that breaks it>"',
    proofExample: '"<markdown with $…$ math: why the step fails, a counterexample or the missing case>"',
  },
  confidence: {
    schema: { enum: CONFIDENCES_ASCENDING.slice().reverse() },
    example: `"${CONFIDENCE_DEFS.map((d) => d.id).join(' | ')}"`,
    // Optional: answers written before it existed (and grammars scripted without it) still parse.
    optional: true,
    rule: () => `- confidence: ${CONFIDENCE_DEFS.map((d) => `"${d.id}" = ${d.meaning}`).join('; ')}.`,
  },
  fix: {
    schema: objectSchema(FIX_FIELDS),
    example: fixExample(false),
    proofExample: fixExample(true),
    optional: true,
    rule: ({ editableLines, proof }) =>
      proof
        ? `- fix is optional, and only within the lines under review (${editableLines}). "replacement" replaces the ` +
          "whole lines startLine..endLine with corrected text: complete lines in the document's own markup, keeping " +
          'its line breaks where the text is unchanged, no line numbers, no fences. Leave fix out when the repair ' +
          'is not a local edit (a new argument is needed).'
        : `- fix is optional, and only within the lines under review (${editableLines}). "replacement" replaces the ` +
          'whole lines startLine..endLine: complete lines with their original indentation, no line numbers, no ' +
          'fences. Leave fix out when unsure.',
  },
};

/** The answer's top-level fields, in order. */
export const ANSWER_FIELDS: Readonly<Record<string, FieldDef>> = {
  summary: { schema: { type: 'string' }, example: '"<one paragraph for the person>"', proofExample: '"<one paragraph for the author>"' },
  // The prose answer. With free text allowed the model writes it before the JSON block; an answer
  // that must be JSON alone (a constrained server, the local grammar) carries it here.
  explanation: {
    schema: { type: 'string' },
    example: '"<your explanation for the person, markdown>"',
    optional: true,
    jsonAnswerOnly: true,
  },
  findings: {
    schema: { type: 'array', items: objectSchema(FINDING_FIELDS) },
    example: findingsExample(false),
    proofExample: findingsExample(true),
    rule: ({ proof }) => (proof ? '- "findings": [] when the proof is correct.' : '- "findings": [] when you find no real problem.'),
  },
};

// ---- derived: the JSON schema, the grammar schema, the prompt text ----

function findingsExample(proof: boolean): string {
  const fields = Object.entries(FINDING_FIELDS).map(([key, f]) => `      "${key}": ${exampleOf(f, proof)}`);
  return `[\n    {\n${fields.join(',\n')}\n    }\n  ]`;
}

function objectSchema(fields: Readonly<Record<string, FieldDef>>): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(fields).map(([key, f]) => [key, f.schema])),
    required: Object.entries(fields)
      .filter(([, f]) => !f.optional)
      .map(([key]) => key),
    additionalProperties: false,
  };
}

/**
 * The answer as a standard JSON schema, for servers that constrain the answer after the thinking
 * (`response_format` `json_schema`, Ollama's `format`).
 */
export function answerJsonSchema(): JsonSchema {
  return objectSchema(ANSWER_FIELDS);
}

/**
 * The answer for node-llama-cpp's grammar, whose objects always require every listed property:
 * each object with optional fields becomes a `oneOf` of its shapes with and without them, in the
 * same key order.
 */
export function answerGrammarSchema(): JsonSchema {
  return grammarOf(answerJsonSchema());
}

function grammarOf(schema: JsonSchema): JsonSchema {
  if (schema.type === 'array' && schema.items) return { type: 'array', items: grammarOf(schema.items as JsonSchema) };
  if (schema.type !== 'object' || !schema.properties) return schema;
  const properties = Object.entries(schema.properties as Record<string, JsonSchema>).map(
    ([key, value]) => [key, grammarOf(value)] as const,
  );
  const required = new Set(schema.required as readonly string[]);
  const optional = properties.filter(([key]) => !required.has(key)).map(([key]) => key);
  // Every subset of the optional keys, the fullest first (a grammar prefers no branch; order is for reading).
  const subsets: string[][] = [[]];
  for (const key of optional) for (const subset of subsets.splice(0)) subsets.push([...subset, key], subset);
  const variants = subsets.map((kept) => ({
    type: 'object',
    properties: Object.fromEntries(properties.filter(([key]) => required.has(key) || kept.includes(key))),
  }));
  return variants.length === 1 ? variants[0]! : { oneOf: variants };
}

/** The example shape the prompt shows, for an answer with prose above it or for a JSON-only one. */
export function answerShape(jsonAnswer: boolean, proof = false): string {
  const fields = Object.entries(ANSWER_FIELDS).filter(([, f]) => jsonAnswer || !f.jsonAnswerOnly);
  return `{\n${fields.map(([key, f]) => `  "${key}": ${exampleOf(f, proof)}`).join(',\n')}\n}`;
}

/** The prompt's rules, one line per field that has one, in field order. */
export function answerRules(context: RuleContext): string[] {
  const all = [...Object.values(FINDING_FIELDS), ...Object.values(ANSWER_FIELDS)];
  return all.flatMap((f) => (f.rule ? [f.rule(context)] : [])).filter((rule) => rule !== '');
}
