// Hand-written R1-style traces for the provenance benchmark: long, wandering, with false starts,
// reversals and findings the trace itself retracts. In each trace `[[id:` ... `]]` marks the
// passage a person would point to as the reason for finding `id` (markers are removed before
// matching). `retracted: true` marks a finding the answer lists although the trace dismissed it
// and never came back to it: confidence should be low. Written for this benchmark, not tuned on
// after the first measurement (see bench/results/provenance.md).

export interface CorpusFinding {
  readonly id: string;
  readonly title: string;
  readonly explanation: string;
  readonly quote?: string;
  readonly startLine: number;
  readonly endLine?: number;
  readonly retracted?: boolean;
}

export interface CorpusCase {
  readonly name: string;
  readonly trace: string;
  readonly findings: readonly CorpusFinding[];
}

export const PROVENANCE_CORPUS: readonly CorpusCase[] = [
  {
    name: 'cart-offbyone',
    trace: `Okay, so the user wants me to review cartTotal. Let me read it line by line.

It starts with let total = 0, then a for loop over items, then returns total. Simple enough. Wait, let me think about what could go wrong.

Hmm, maybe the problem is with floating point? Prices like 0.1 + 0.2 add up to 0.30000000000000004. But that is how JavaScript numbers work and the caller formats to two decimals, so I won't report that.

[[loop:Now the loop header on line 3: for (let i = 0; i <= items.length; i++). With <= the index reaches items.length, and items[items.length] is undefined, so reading .price on it throws a TypeError on the last pass.]] That is definitely wrong.

What about qty? [[qty:If qty is negative the total goes down, which could let someone get money back. Hmm, wait. Actually the cart only accepts quantities from the stepper, which clamps at 1, so that's fine.]]

Let me double check the loop once more. Yes, the <= is the bug; < is what it should be.

So the main bug is the loop bound, and I'll mention the quantity thing only as a note.`,
    findings: [
      {
        id: 'loop',
        title: 'Off-by-one in loop bound',
        explanation: 'On the last pass `items[i]` is undefined and `.price` throws.',
        quote: 'for (let i = 0; i <= items.length; i++) {',
        startLine: 3,
      },
      {
        id: 'qty',
        title: 'Negative quantity lowers the total',
        explanation: 'A negative `qty` reduces the total.',
        quote: 'total += items[i].price * items[i].qty;',
        startLine: 4,
        retracted: true,
      },
    ],
  },
  {
    name: 'average-empty',
    trace: `Alright, average(values) sums the list and divides by its length. Let me check the edge cases.

First, what happens with a normal list like [1, 2, 3]? sum is 6, length 3, result 2. Good.

[[empty:What if values is empty? Then sum stays 0 and we divide 0 by values.length which is 0, giving NaN. The caller then renders NaN in the dashboard.]] Hmm, is NaN acceptable? The docstring says it returns a number. NaN is technically a number... no, wait, the dashboard shows "NaN ms" to users, so this is a real problem.

Next, could values contain null? [[nulls:If an element is null, sum += null coerces to 0, so the average is silently too low.]] Hmm, let me look at where values comes from. It's from parseSamples, which filters out nulls already. So null elements can't happen here, that's fine.

What about very large lists, overflow? JavaScript numbers go up to 1.8e308, so summing durations won't overflow. Not an issue.

So the one real bug is the empty list division.`,
    findings: [
      {
        id: 'empty',
        title: 'Average of an empty list is NaN',
        explanation: 'Dividing by `values.length` when it is 0 gives `NaN`.',
        quote: 'return sum / values.length;',
        startLine: 6,
      },
      {
        id: 'nulls',
        title: 'Null elements lower the average',
        explanation: '`sum += null` adds 0, so the average is too low.',
        quote: 'sum += v;',
        startLine: 4,
        retracted: true,
      },
    ],
  },
  {
    name: 'sql-injection',
    trace: `The function findUser(name) builds a query and runs it. Let me think about security first since it touches the database.

The query is built with a template string: \`SELECT * FROM users WHERE name = '\${name}'\`. [[sqli:The name comes straight from req.query.name, so a name like ' OR '1'='1 changes the query. That's SQL injection; it should use a parameterized query with db.query(sql, [name]).]]

Hmm, wait, maybe db.query escapes it? No, db.query takes the final string; there's no escaping step in between. So yes, it is a bug.

Then the result: rows[0] is returned. [[first:If no user matches, rows is empty and rows[0] is undefined, and the caller does user.id, which throws.]] Let me check the caller... the caller checks if (!user) return 404 first. Okay so that's handled, never mind.

Also the connection is never released? It uses pool.query which releases automatically. Fine.

So: SQL injection is the finding.`,
    findings: [
      {
        id: 'sqli',
        title: 'SQL injection through name',
        explanation: 'The query interpolates `name` from the request; use a parameterized query.',
        quote: "const sql = `SELECT * FROM users WHERE name = '${name}'`;",
        startLine: 2,
      },
      {
        id: 'first',
        title: 'Missing user is undefined',
        explanation: '`rows[0]` is undefined when no user matches.',
        quote: 'return rows[0];',
        startLine: 4,
        retracted: true,
      },
    ],
  },
  {
    name: 'cache-race',
    trace: `getConfig() caches the parsed config in a module variable. Let me see.

if (!cached) { cached = await load(); } return cached. Two callers at the same time both see cached as undefined... [[race:Two concurrent calls both pass the !cached check before either await finishes, so load() runs twice and reads the file twice.]] Is that a bug or just wasted work? load() is idempotent, so it's only wasted work. Hmm. Actually no, wait: load() also registers a file watcher each time, so two watchers get registered and every change fires twice. So it is a real bug.

What about errors? [[reject:If load() rejects, cached stays undefined and the next call retries, which is what we want.]] That seems fine actually.

Next, the watcher callback sets cached = undefined. Good, invalidation works.

Let me reconsider the first point once more: with the double watcher, it's a leak too. Yes, definitely report it.`,
    findings: [
      {
        id: 'race',
        title: 'Concurrent first calls load twice',
        explanation: 'Both calls see `cached` unset and call `load()`, registering two watchers.',
        quote: 'if (!cached) {',
        startLine: 3,
      },
      {
        id: 'reject',
        title: 'A failed load is retried on every call',
        explanation: 'When `load()` rejects, `cached` stays undefined.',
        quote: 'cached = await load();',
        startLine: 4,
        retracted: true,
      },
    ],
  },
  {
    name: 'parse-int',
    trace: `parsePort(value) does parseInt(value) and checks the range.

Let me trace parsePort("8080"): parseInt gives 8080, 8080 is between 1 and 65535, returns 8080. Fine.

[[radix:parseInt without a radix: for "0x1F" it returns 31 because it reads hex.]] Hmm, is that a problem for ports? Someone writing 0x1F as a port is unlikely... but parseInt("08") is 8 in modern engines, so octal isn't the issue. I think the hex case is an edge case but still worth a low note.

[[nan:What about parsePort("abc")? parseInt returns NaN. Then NaN < 1 is false and NaN > 65535 is false, so the range check passes and the function returns NaN as the port!]] That's a real bug: the server then listens on a random port.

Then "80abc" parses as 80, which is lenient but documented.

So the main bug is NaN slipping through the range check.`,
    findings: [
      {
        id: 'nan',
        title: 'NaN passes the range check',
        explanation: '`parseInt("abc")` is `NaN`, and both comparisons are false, so `NaN` is returned.',
        quote: 'if (port < 1 || port > 65535) throw new RangeError(value);',
        startLine: 3,
      },
      {
        id: 'radix',
        title: 'parseInt without a radix',
        explanation: '`parseInt("0x1F")` reads hex.',
        quote: 'const port = parseInt(value);',
        startLine: 2,
      },
    ],
  },
  {
    name: 'python-default',
    trace: `def add_tag(tag, tags=[]): tags.append(tag); return tags. Classic, let me be careful though.

[[mutable:The default list is created once when the function is defined, so every call without tags appends to the same list, and tags leak between calls.]] Let me make sure the callers actually omit tags... add_tag("a") in handler one, add_tag("b") in handler two. So the second call returns ["a", "b"]. Yes, that's the bug.

What about tag being None? [[none:tags.append(None) would put None in the list.]] Hmm, but tag comes from a validated form field that's required, so it can't be None. No issue there.

Also the function returns the list it mutated, which is fine.

So: mutable default argument.`,
    findings: [
      {
        id: 'mutable',
        title: 'Mutable default argument',
        explanation: 'The default `tags=[]` is shared between calls.',
        quote: 'def add_tag(tag, tags=[]):',
        startLine: 1,
      },
      {
        id: 'none',
        title: 'None tag is appended',
        explanation: '`tag` may be `None`.',
        quote: 'tags.append(tag)',
        startLine: 2,
        retracted: true,
      },
    ],
  },
  {
    name: 'go-close',
    trace: `The Go function readAll(path) opens a file, reads it, returns the bytes.

f, err := os.Open(path); if err != nil { return nil, err }. Then data, err := io.ReadAll(f); return data, err.

Wait, where's the Close? [[close:There's no defer f.Close(), so every call leaks a file descriptor; under load the process hits the open-file limit.]] Let me make sure there isn't a close somewhere else... No, f is a local and never closed. That's a real leak.

Hmm, what about a huge file? [[huge:io.ReadAll on a 10 GB file would use 10 GB of memory.]] The paths are config files under 1 MB though, always. So I think that's fine in this context.

Also err from ReadAll is returned correctly.

One more: path could be relative. That's the caller's business, not a bug here.

So report the missing Close.`,
    findings: [
      {
        id: 'close',
        title: 'File is never closed',
        explanation: '`f` is opened but never closed; add `defer f.Close()`.',
        quote: 'f, err := os.Open(path)',
        startLine: 2,
      },
      {
        id: 'huge',
        title: 'ReadAll on a large file',
        explanation: '`io.ReadAll` reads the whole file into memory.',
        quote: 'data, err := io.ReadAll(f)',
        startLine: 6,
        retracted: true,
      },
    ],
  },
  {
    name: 'binary-search',
    trace: `binarySearch(arr, target): lo = 0, hi = arr.length - 1, while lo <= hi, mid = (lo + hi) / 2 ... wait, is mid an integer? In Java, int division, yes.

[[overflow:mid = (lo + hi) / 2 can overflow when lo + hi exceeds Integer.MAX_VALUE, for arrays over a billion elements, making mid negative.]] Hmm, are the arrays that large here? They're index pages, max a few thousand entries. So overflow can't happen here in practice. Still, it's the classic bug... I'll rate it low, it doesn't actually happen with these sizes, that's fine.

Now the loop body: if arr[mid] < target, lo = mid + 1; else if arr[mid] > target, hi = mid - 1; else return mid. That's right.

[[notfound:When the loop ends it returns 0 instead of -1, so a missing target looks like it was found at index 0.]] Let me re-read... return 0; yes. That's definitely a bug: callers check for -1.

So the real bug is the return value when not found.`,
    findings: [
      {
        id: 'notfound',
        title: 'Returns 0 when the target is missing',
        explanation: 'Callers check for `-1`; returning `0` looks like a hit at index 0.',
        quote: 'return 0;',
        startLine: 11,
      },
      {
        id: 'overflow',
        title: 'Midpoint can overflow',
        explanation: '`(lo + hi) / 2` overflows for very large arrays.',
        quote: 'int mid = (lo + hi) / 2;',
        startLine: 4,
        retracted: true,
      },
    ],
  },
  {
    name: 'token-compare',
    trace: `verifyToken(given, expected) returns given === expected. Security-sensitive, so let's be careful.

[[timing:A plain === comparison returns at the first differing character, so the response time leaks how many leading characters of the token are right; an attacker can guess it byte by byte. Use crypto.timingSafeEqual.]] Hmm, over the network the jitter is large... but timing attacks on tokens have been shown to work with enough samples. So it is still a real issue.

[[length:What if given is longer than expected? Then === is just false.]] That's fine.

[[undef:And if expected is undefined because the env var is missing, given === undefined is false unless given is also undefined, and the header parser turns a missing header into undefined!]] So a request with no token matches when the env var is unset. That's a real bug, maybe worse than the timing one.

Let me double-check: headers['x-token'] is undefined when absent; process.env.TOKEN is undefined when unset; undefined === undefined is true. Yes, confirmed.`,
    findings: [
      {
        id: 'timing',
        title: 'Token comparison is not constant-time',
        explanation: 'Use `crypto.timingSafeEqual` instead of `===`.',
        quote: 'return given === expected;',
        startLine: 2,
      },
      {
        id: 'undef',
        title: 'Missing token matches an unset secret',
        explanation: 'When `TOKEN` is unset and the header is absent, `undefined === undefined` is true.',
        quote: 'return given === expected;',
        startLine: 2,
      },
      {
        id: 'length',
        title: 'Longer tokens are not rejected early',
        explanation: 'A longer `given` is only rejected by `===`.',
        quote: 'return given === expected;',
        startLine: 2,
        retracted: true,
      },
    ],
  },
  {
    name: 'debounce',
    trace: `debounce(fn, ms) returns a function that clears a timer and sets a new one calling fn.

Let me think about this. let timer; return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); }.

[[this:The arrow function drops this: fn is called without the caller's this, so methods passed in lose their object.]] Hmm, how is it used? debounce(this.save, 300) in the editor class... and save uses this.doc. So this.doc is undefined inside save. Wait, actually they bind it first: debounce(this.save.bind(this), 300). Let me look again... yes, bound in the constructor. So that's fine.

[[cancel:There's no way to cancel a pending call, so when the editor closes, a pending save fires after the document is disposed and writes to a closed file.]] The editor's dispose() doesn't clear anything. That's a real bug.

What about ms being 0? setTimeout with 0 still defers; fine.

So: no cancel on dispose.`,
    findings: [
      {
        id: 'cancel',
        title: 'Pending call fires after dispose',
        explanation: 'There is no `cancel()`; a pending save runs after the editor is disposed.',
        quote: 'timer = setTimeout(() => fn(...args), ms);',
        startLine: 4,
      },
      {
        id: 'this',
        title: 'this is lost',
        explanation: "The arrow function calls `fn` without the caller's `this`.",
        quote: 'return (...args) => {',
        startLine: 3,
        retracted: true,
      },
    ],
  },
];

/** A case with its markers removed and each finding's gold passages as offsets into the clean trace. */
export interface PreparedCase {
  readonly name: string;
  readonly reasoning: string;
  readonly findings: readonly (CorpusFinding & { readonly gold: readonly { start: number; end: number }[] })[];
}

export function prepare(entry: CorpusCase): PreparedCase {
  const gold = new Map<string, { start: number; end: number }[]>();
  let reasoning = '';
  let rest = entry.trace;
  const marker = /\[\[([a-z]+):/;
  for (let match = marker.exec(rest); match; match = marker.exec(rest)) {
    reasoning += rest.slice(0, match.index);
    const close = rest.indexOf(']]', match.index);
    if (close < 0) throw new Error(`${entry.name}: unclosed marker ${match[1]}`);
    const text = rest.slice(match.index + match[0].length, close);
    const start = reasoning.length;
    reasoning += text;
    gold.set(match[1]!, [...(gold.get(match[1]!) ?? []), { start, end: reasoning.length }]);
    rest = rest.slice(close + 2);
  }
  reasoning += rest;
  return {
    name: entry.name,
    reasoning,
    findings: entry.findings.map((f) => {
      const spans = gold.get(f.id);
      if (!spans) throw new Error(`${entry.name}: no gold passage for ${f.id}`);
      return { ...f, gold: spans };
    }),
  };
}
