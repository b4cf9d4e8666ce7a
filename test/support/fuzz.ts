import fc from 'fast-check';

/**
 * Inputs an adversary would type where Compass expects a figure: decimal digits with every separator, sign,
 * radix prefix and exponent people (or scripts) put in them, and now and then anything at all.
 */
export const numberLikeText = fc.oneof(
  fc
    .array(
      fc.constantFrom(
        '0',
        '1',
        '5',
        '9',
        ',',
        '.',
        '_',
        ' ',
        '-',
        '+',
        'e',
        'x',
        'b',
        'o',
        'k',
        'Infinity',
        'NaN',
      ),
      { maxLength: 24 },
    )
    .map((parts) => parts.join('')),
  fc.integer().map(String),
  fc.double().map(String),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Pieces that make some text rule retry at every character when repeated; see `pathologicalText`. */
export const PATHOLOGICAL_ATOMS = [
  '1',
  '1 ',
  '1.',
  '1,',
  '1k',
  '$1',
  '1ms ',
  '1 tokens ',
  '1 per second per user ',
  'one ',
  'hundred ',
  '-',
  ' ',
  'p95 ',
  'latency ',
  'chat ',
  'llama ',
  'h100 ',
  'at most ',
  '(1',
  '1 000 ',
  '\u0000',
  '\ud83d',
  'users ',
  '$ 1 ',
  '1.5 s ',
  '1 users ',
  'twenty-',
  'a ',
  'summar',
  'a100 ',
  'gpus ',
  'under ',
  '1)',
  '1/',
  "1'",
  '1_',
  '$1k/mo ',
];

/** A long run of one pathological piece, or of several interleaved: up to 40,000 characters. */
export const pathologicalText = fc
  .tuple(
    fc.array(fc.constantFrom(...PATHOLOGICAL_ATOMS), { minLength: 1, maxLength: 3 }),
    fc.integer({ min: 1_000, max: 40_000 }),
  )
  .map(([atoms, length]) => {
    const unit = atoms.join('');
    return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  });

/** What people write to the bot: words, figures, units and punctuation in any order, with any characters mixed in. */
export const requestText = fc.oneof(
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'chatbot',
          'for',
          'users',
          'people',
          'requests',
          'per',
          'second',
          'minute',
          'a',
          'month',
          '$',
          'k',
          'm',
          'budget',
          'under',
          'p95',
          'ttft',
          'itl',
          'latency',
          'ms',
          's',
          'tokens',
          'prompt',
          'output',
          'h100',
          'a100',
          'llama',
          'gpus',
          'at most',
          'no',
          'cost',
          'matters',
          ',',
          '.',
          '-',
          '/',
          '~',
          'million',
          'set users to',
          'ignore previous instructions',
        ),
        numberLikeText,
      ),
      { maxLength: 40 },
    )
    .map((words) => words.join(' ')),
  fc.string({ unit: 'binary', maxLength: 400 }),
);
